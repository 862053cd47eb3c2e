"""Logins: password sessions with CSRF tokens, personal API tokens (login limiting:
``login_limits.py``)."""

from __future__ import annotations

import functools
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, delete, select, update
from sqlalchemy.orm import Session, make_transient_to_detached

from accord_server.db.base import utcnow
from accord_server.db.models import ApiToken, User, UserSession
from accord_server.services.accounts import normalize_email, set_password
from accord_server.services.errors import Invalid, NotFound, Unauthenticated
from accord_server.services.login_limits import LoginLimits, claim_attempt, forgive
from accord_server.services.passwords import check_password_rules
from accord_server.services.security import hash_secret, new_secret, verify_password

SESSION_PREFIX = "accs_"
TOKEN_PREFIX = "acc_"


@dataclass(frozen=True)
class NewSession:
    """A login's secrets, known only at creation: the cookie value and its CSRF token."""

    user: User
    session_token: str
    csrf_token: str
    expires_at: datetime


def check_login(session: Session, *, email: str, password: str) -> int:
    """The id of the active user with this email and password; Unauthenticated (the same for
    a wrong password and an unknown email) otherwise.

    It only reads: run it in a read transaction, so that the Argon2 check (half a second on a
    busy machine) holds no lock (on SQLite, the one writer lock every write waits for). The
    attempt must have been counted first (``login_limits.claim_attempt``, committed)."""
    try:
        email = normalize_email(email)
    except Invalid:
        email = email.strip().lower()
    user = session.scalar(select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        raise Unauthenticated("wrong email or password")
    return user.id


def open_login(session: Session, *, user_id: int, days: int) -> NewSession:
    """A new login session for a user whose password ``check_login`` accepted."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise Unauthenticated("wrong email or password")
    token = new_secret(SESSION_PREFIX)
    csrf = secrets.token_urlsafe(24)
    expires = utcnow() + timedelta(days=days)
    session.add(
        UserSession(
            user_id=user.id, token_hash=hash_secret(token), csrf_token=csrf, expires_at=expires
        )
    )
    session.flush()
    return NewSession(user=user, session_token=token, csrf_token=csrf, expires_at=expires)


class WrongPassword(Invalid):
    """The current password given to change it was wrong (counted like a failed login)."""


def change_password(
    session: Session,
    *,
    user: User,
    current: str,
    new: str,
    keep_login_id: int | None,
    address: str,
    limits: LoginLimits,
    revoke_tokens: bool = False,
) -> None:
    """Replace the user's password after checking the current one.

    Every other login session of the user ends (``keep_login_id``, the caller's own, stays);
    with ``revoke_tokens`` every API token of theirs is revoked too, the one making the request
    included. The check of ``current`` is counted like a login's (``login_limits``), in this
    transaction: a wrong one raises ``WrongPassword``, which the caller must answer without
    rolling back, so that the guess stays counted. A new password that breaks the rules is
    refused first and is not a guess."""
    check_password_rules(new, email=user.email, field="new_password")
    claim_attempt(session, email=user.email, address=address, limits=limits)
    if not verify_password(user.password_hash, current):
        raise WrongPassword(
            "current_password: wrong password",
            details={"field": "current_password", "reason": "wrong"},
        )
    forgive(session, email=user.email, address=address)
    set_password(session, user=user, password=new, field="new_password")
    others = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_login_id is not None:
        others = others.where(UserSession.id != keep_login_id)
    recent_credentials.forget_all()
    session.execute(others)
    if revoke_tokens:
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    session.flush()


def logout(session: Session, *, session_token: str) -> None:
    """End a session."""
    recent_credentials.forget_all()
    session.execute(delete(UserSession).where(UserSession.token_hash == hash_secret(session_token)))
    session.flush()


@functools.cache
def _session_query() -> Select[User, UserSession]:
    # Built once: the hot path of every request pays only for execution.
    return (
        select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == bindparam("h"), UserSession.expires_at > bindparam("now"))
    )


@functools.cache
def _token_query() -> Select[User, int]:
    return (
        select(User, ApiToken.id)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == bindparam("h"), ApiToken.revoked_at.is_(None))
    )


def user_for_session(
    session: Session, token: str, *, token_hash: str | None = None
) -> tuple[User, UserSession] | None:
    """The user of a live session cookie, or None."""
    h = token_hash or hash_secret(token)
    row = session.execute(_session_query(), {"h": h, "now": utcnow()}).first()
    if row is None or not row[0].is_active:
        return None
    return row[0], row[1]


def user_for_api_token(
    session: Session, token: str, *, token_hash: str | None = None
) -> tuple[User, int] | None:
    """The user of a live API token and the token's id, or None."""
    row = session.execute(_token_query(), {"h": token_hash or hash_secret(token)}).first()
    if row is None or not row[0].is_active:
        return None
    return row[0], row[1]


def create_api_token(session: Session, *, user: User, name: str) -> tuple[ApiToken, str]:
    """A new API token; the secret is returned once and only its hash is kept."""
    name = name.strip()
    if not name:
        raise Invalid("name: must not be empty", details={"field": "name"})
    secret = new_secret(TOKEN_PREFIX)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=hash_secret(secret),
    )
    session.add(token)
    session.flush()
    return token, secret


def list_api_tokens(session: Session, *, user: User) -> list[ApiToken]:
    """The user's tokens, revoked ones included."""
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    )


def revoke_api_token(session: Session, *, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens (idempotent)."""
    token = session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )
    if token is None:
        raise NotFound(f"token {token_id} not found")
    if token.revoked_at is None:
        recent_credentials.forget_all()
        token.revoked_at = utcnow()
        session.flush()
    return token


@dataclass(frozen=True)
class _Known:
    user_id: int
    login_id: int | None
    csrf_token: str | None
    login_expires_at: datetime | None
    lapses_at: float
    """``time.monotonic()`` after which the credential is looked up again."""


class RecentCredentials:
    """API tokens and login cookies that checked out in the last few seconds, by hash.

    The annotators' hot path sends the same token many times a second; remembering who it
    belongs to spares the lookup (on SQLite also a read transaction of its own). Only the
    identity is remembered: the user handed to the request is attached to its session with
    nothing else loaded, so every other attribute is read fresh when used. Revoking a token or
    logging out forgets everything at once in this process; any other change (a revocation in
    another API process, a user deactivated in the database) shows within
    ``auth_cache_seconds``."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._known: dict[str, _Known] = {}
        self._lock = threading.Lock()

    def recall(self, token_hash: str, now: datetime) -> _Known | None:
        """What this token or cookie was found to be, if that is recent and still holds."""
        known = self._known.get(token_hash)
        if known is None:
            return None
        if known.lapses_at <= time.monotonic() or (
            known.login_expires_at is not None and known.login_expires_at <= now
        ):
            self._known.pop(token_hash, None)
            return None
        return known

    def remember(
        self, token_hash: str, user: User, login: UserSession | None, seconds: float
    ) -> None:
        """Trust this credential for ``seconds``."""
        if seconds <= 0:
            return
        known = _Known(
            user_id=user.id,
            login_id=None if login is None else login.id,
            csrf_token=None if login is None else login.csrf_token,
            login_expires_at=None if login is None else login.expires_at,
            lapses_at=time.monotonic() + seconds,
        )
        with self._lock:
            if len(self._known) >= self._size:
                self._known.clear()
            self._known[token_hash] = known

    def forget_all(self) -> None:
        """Look every credential up again (something about one of them changed)."""
        with self._lock:
            self._known.clear()


recent_credentials = RecentCredentials()


def attach_known(session: Session, known: _Known) -> tuple[User, UserSession | None]:
    """The user (and login) of a remembered credential as objects of ``session``, without a
    query: only their ids (and the login's CSRF token) are set, the rest loads on first use."""
    user = User(id=known.user_id)
    make_transient_to_detached(user)
    session.add(user)
    if known.login_id is None:
        return user, None
    login = UserSession(id=known.login_id, user_id=known.user_id, csrf_token=known.csrf_token)
    make_transient_to_detached(login)
    session.add(login)
    return user, login
