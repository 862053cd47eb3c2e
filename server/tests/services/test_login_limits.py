"""services/login_limits.py on a real database: the wait schedule, the keys, forgetting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from accord_server.db.base import utcnow
from accord_server.db.models import LoginThrottle
from accord_server.services import login_limits
from accord_server.services.errors import RateLimited
from accord_server.services.login_limits import LoginLimits
from accord_server.settings import Settings
from support import Stack

LIMITS = LoginLimits(
    account_free=2,
    address_free=4,
    first_delay=timedelta(seconds=1),
    max_delay=timedelta(seconds=8),
)


def test_waits_double_after_the_free_failures_up_to_the_longest() -> None:
    waits = [LIMITS.delay(n, 2).total_seconds() for n in range(1, 9)]
    assert waits == [0, 1, 2, 4, 8, 8, 8, 8]
    assert LIMITS.delay(10_000, 2) == LIMITS.max_delay  # no overflow
    assert LIMITS.memory == timedelta(hours=1)
    assert LoginLimits(max_delay=timedelta(hours=2)).memory == timedelta(hours=4)


def test_an_ipv6_host_counts_by_its_64_and_a_mapped_ipv4_as_ipv4() -> None:
    key = login_limits.address_key
    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9")
    assert key("2001:db8:1:2::1") != key("2001:db8:1:3::1")
    assert key("::ffff:198.51.100.7") == key("198.51.100.7")
    assert key("198.51.100.7") != key("198.51.100.8")
    assert login_limits.account_key(" Ann@Example.com ") == login_limits.account_key(
        "ann@example.com"
    )
    assert login_limits.account_key("ann@example.com") != key("ann@example.com")


def _claim(stack: Stack, email: str, address: str, now: object) -> str:
    try:
        with stack.runtime.db.transaction() as session:
            login_limits.claim_attempt(
                session,
                email=email,
                address=address,
                limits=LIMITS,
                now=now,  # type: ignore[arg-type]
            )
    except RateLimited as exc:
        return f"wait {exc.details['limited']} {exc.details['retry_after_seconds']}"
    return "checked"


def test_claims_follow_the_schedule_and_are_forgotten_after_a_quiet_hour(stack: Stack) -> None:
    t0 = utcnow()
    seconds = [0, 0.1, 0.2, 1.1, 1.5, 3.2, 6.0]
    got = [_claim(stack, "a@x.io", "192.0.2.1", t0 + timedelta(seconds=s)) for s in seconds]
    # Free, free, then 1 s after the 2nd, 2 s after the 3rd ... a refusal is not counted.
    assert got == [
        *("checked", "checked", "wait account 1"),
        *("checked", "wait account 2", "checked", "wait account 2"),
    ]
    later = t0 + timedelta(seconds=3.2) + LIMITS.memory + timedelta(seconds=1)
    assert _claim(stack, "a@x.io", "192.0.2.1", later) == "checked"
    with stack.runtime.db.session() as session:
        failures = session.scalar(
            select(LoginThrottle.failures).where(
                LoginThrottle.key == login_limits.account_key("a@x.io")
            )
        )
    assert failures == 1  # started over


def test_a_claim_whose_clock_is_behind_the_last_failure_waits_at_most_the_longest_wait(
    stack: Stack,
) -> None:
    # Concurrent logins each take their own `now`; one that waited for the row lock can find
    # a next_at set by a later request (CI, PostgreSQL: 121 s of a 120 s limit).
    t0 = utcnow()
    late = t0 + timedelta(seconds=30)
    for i in range(LIMITS.account_free + 1):  # the last one sets a wait from `late`
        _claim(stack, "late@x.io", f"192.0.2.{i + 20}", late)
    got = _claim(stack, "late@x.io", "192.0.2.99", t0)
    assert got == f"wait account {int(LIMITS.max_delay.total_seconds())}"


def test_the_address_limits_spraying_and_a_success_gives_back_only_its_attempt(
    stack: Stack,
) -> None:
    t0 = utcnow()
    got = [_claim(stack, f"u{i}@x.io", "192.0.2.9", t0) for i in range(6)]
    assert got == ["checked"] * 4 + ["wait address 1"] * 2
    with stack.runtime.db.transaction() as session:
        login_limits.forgive(session, email="u3@x.io", address="192.0.2.9")
    with stack.runtime.db.session() as session:
        rows = {r.key: r.failures for r in session.scalars(select(LoginThrottle))}
    assert rows[login_limits.address_key("192.0.2.9")] == 3
    assert login_limits.account_key("u3@x.io") not in rows
    assert rows[login_limits.account_key("u2@x.io")] == 1


def test_old_counters_are_deleted(stack: Stack) -> None:
    t0 = utcnow()
    _claim(stack, "old@x.io", "192.0.2.5", t0 - LIMITS.memory - timedelta(minutes=1))
    _claim(stack, "new@x.io", "192.0.2.6", t0)
    with stack.runtime.db.transaction() as session:
        assert login_limits.forget_old(session, limits=LIMITS, now=t0) == 2
    with stack.runtime.db.session() as session:
        keys = set(session.scalars(select(LoginThrottle.key)))
    assert keys == {login_limits.account_key("new@x.io"), login_limits.address_key("192.0.2.6")}


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    assert Settings(trusted_proxies=["10.0.0.5", "10.1.0.0/16", "::1"]).trusted_proxies
    with pytest.raises(ValidationError, match=r"'proxy\.local' is not an IP address"):
        Settings(trusted_proxies=["proxy.local"])
    with pytest.raises(ValidationError, match="give it alone"):
        Settings(trusted_proxies=["*", "10.0.0.5"])
