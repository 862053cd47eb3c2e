"""Login limiting: each password check (a login, the current password of a password change) is
counted before it is made, per account and per client address, and waits its turn once either
has failed too often.

- **Counted before it is checked, atomically.** ``claim_attempt`` takes one attempt from each
  counter with a single ``INSERT … ON CONFLICT DO UPDATE … WHERE <allowed> RETURNING``: on
  PostgreSQL the row lock makes concurrent claims of one account or address take turns, on
  SQLite the writer lock does; a claim that finds no turn left changes nothing. A login commits
  its claim in a transaction of its own before checking the password (so no row lock is held
  during the Argon2 check); a password change, whose request already holds a connection, counts
  in its own transaction and answers a wrong password without rolling it back. A right
  password then gives the account's attempt back (``forgive``); a wrong one stays counted.
- **Slowed down, never locked.** The first ``free`` failures in a row cost nothing; after them
  each attempt must wait ``first_delay``, doubling with every failure up to ``max_delay``. The
  account's owner is not shut out by failures: from any address, the right password gets in
  once the wait after the last failure (at most ``max_delay``) is over, while an attacker gets
  one guess per ``max_delay``. (A guesser who sends a guess the moment each wait ends restarts
  it each time; exempting known devices or a second factor would close that: not built.) A
  refusal says how long to wait (``Retry-After``) and checks no password.
- **Per account and per address, separately.** The account counter (by email, whether or not
  it has an account, so the answers do not tell) slows guessing one account from many
  addresses; the address counter (an IPv6 address counts by its /64) slows spraying many
  accounts from one. A right password never resets an address: it only gives back its own
  attempt there.
- Failures are forgotten after ``memory`` without any; old rows are deleted by ``forget_old``.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accord_server.db.base import utcnow
from accord_server.db.models import LoginThrottle
from accord_server.services.errors import RateLimited
from accord_server.services.security import hash_secret
from accord_server.settings import Settings

MEMORY = timedelta(hours=1)
FORGET_BATCH = 200


@dataclass(frozen=True)
class LoginLimits:
    """How many failures are free, per account and per address, and how the wait grows."""

    account_free: int = 5
    address_free: int = 30
    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=5)

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginLimits:
        """The limits the settings give (``ACCORD_LOGIN_*``)."""
        return cls(
            account_free=settings.login_free_failures,
            address_free=settings.login_address_free_failures,
            first_delay=timedelta(seconds=settings.login_delay_seconds),
            max_delay=timedelta(seconds=settings.login_max_delay_seconds),
        )

    @property
    def memory(self) -> timedelta:
        """How long failures are remembered without a new one."""
        return max(MEMORY, 2 * self.max_delay)

    def delay(self, failures: int, free: int) -> timedelta:
        """The wait after ``failures`` failures in a row, of which ``free`` cost nothing."""
        if failures < free:
            return timedelta(0)
        doubled = self.first_delay * (1 << min(failures - free, 40))
        return min(doubled, self.max_delay)


def account_key(email: str) -> str:
    """The account counter's key: the email as typed, trimmed and lowercased (a login for an
    email without an account is counted like any other)."""
    return hash_secret("account:" + email.strip().lower())


def address_key(address: str) -> str:
    """The address counter's key: an IPv4 address, or the /64 network of an IPv6 one (one
    host commonly holds a whole /64)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return hash_secret("address:" + address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return hash_secret(f"address:{ip.ipv4_mapped}")
        return hash_secret(f"address:{ipaddress.ip_network(f'{ip}/64', strict=False)}")
    return hash_secret(f"address:{ip}")


def _claim(session: Session, key: str, free: int, limits: LoginLimits, now: datetime) -> int | None:
    """Take one attempt from the counter ``key``: its failures counting this attempt, or None
    (and nothing changed) while it must wait."""
    table = LoginThrottle.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    forgotten = table.c.updated_at < now - limits.memory
    statement = dialect.insert(table).values(key=key, failures=1, next_at=now, updated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": case((forgotten, 1), else_=table.c.failures + 1),
            "updated_at": now,
        },
        where=or_(forgotten, table.c.failures < free, table.c.next_at <= now),
    ).returning(table.c.failures)
    failures = session.execute(statement).scalar_one_or_none()
    if failures is None:
        return None
    # Still under the claim's row lock (SQLite: the writer lock) until the caller commits.
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(next_at=now + limits.delay(failures, free))
    )
    return int(failures)


def _wait(session: Session, key: str, limits: LoginLimits, now: datetime) -> int:
    """Whole seconds until ``key`` may try again: never more than ``max_delay``, though a claim
    that waited for the row lock may find a ``next_at`` set by a request whose ``now`` is later
    than its own (on PostgreSQL under 60 concurrent guesses that made 121 s of a 120 s limit)."""
    next_at = session.scalar(select(LoginThrottle.next_at).where(LoginThrottle.key == key))
    seconds = (next_at - now).total_seconds() if next_at is not None else 1
    return max(1, min(math.ceil(seconds), math.ceil(limits.max_delay.total_seconds())))


def claim_attempt(
    session: Session,
    *,
    email: str,
    address: str,
    limits: LoginLimits,
    now: datetime | None = None,
) -> None:
    """Count one password check against the account and the address before it is made.

    RateLimited while either must wait (``details``: ``retry_after_seconds``, ``limited``:
    ``account`` or ``address``); the caller then rolls back, so a refused attempt is not
    counted. Otherwise the attempt must be committed whatever the password check finds."""
    now = now or utcnow()
    waits: dict[str, int] = {}
    for scope, key, free in (
        ("account", account_key(email), limits.account_free),
        ("address", address_key(address), limits.address_free),
    ):
        if _claim(session, key, free, limits, now) is None:
            waits[scope] = _wait(session, key, limits, now)
    if waits:
        scope, seconds = max(waits.items(), key=lambda item: item[1])
        whose = "this account" if scope == "account" else "your address"
        raise RateLimited(
            f"too many failed logins for {whose}; try again in {seconds} s",
            details={"retry_after_seconds": seconds, "limited": scope},
        )
    session.flush()


def forgive(session: Session, *, email: str, address: str) -> None:
    """The password was right: the account starts over, and the address gets back the attempt
    ``claim_attempt`` counted (its other failures stay)."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == account_key(email)))
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == address_key(address), LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1)
    )
    session.flush()


def forget_old(session: Session, *, limits: LoginLimits, now: datetime | None = None) -> int:
    """Delete up to a batch of counters idle for longer than ``limits.memory``; how many.

    Run it in a transaction of its own: on PostgreSQL it skips rows other transactions hold,
    so it never waits for one (and so can never be part of a deadlock)."""
    now = now or utcnow()
    stale = (
        select(LoginThrottle.key)
        .where(LoginThrottle.updated_at < now - limits.memory)
        .limit(FORGET_BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        stale = stale.with_for_update(skip_locked=True)
    result = session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(stale)))
    return int(getattr(result, "rowcount", 0) or 0)
