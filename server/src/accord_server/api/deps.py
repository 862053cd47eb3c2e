"""Dependencies as ``Annotated`` aliases: the runtime, the transaction, the caller."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from accord_server.db.models import User, UserSession
from accord_server.runtime import Runtime
from accord_server.services import sessions
from accord_server.services.errors import Forbidden, Unauthenticated

SESSION_COOKIE = "accord_session"
CSRF_COOKIE = "accord_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_runtime(request: Request) -> Runtime:
    """The process's runtime (settings, database, storage, queue).

    Dependencies that do no I/O are ``async`` so they run on the event loop instead of taking
    a round trip through the thread pool."""
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(request: Request, runtime: RuntimeDep) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent.

    Writes take SQLite's write lock up front (BEGIN IMMEDIATE); reads do not."""
    write = request.method not in SAFE_METHODS
    with runtime.db.session(write=write) as session:
        with session.begin():
            yield session
        for callback in session.info.pop(AFTER_COMMIT, []):
            callback()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

AFTER_COMMIT = "accord_after_commit"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once this request's transaction has committed (e.g. enqueue a job
    that must see the rows just written), before the response is sent."""
    session.info.setdefault(AFTER_COMMIT, []).append(callback)


@dataclass(frozen=True)
class Caller:
    """Who is calling, and how (a login session carries a CSRF token)."""

    user: User
    login: UserSession | None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def get_caller(request: Request, runtime: RuntimeDep, session: SessionDep) -> Caller:
    """Authenticate by API token or session cookie; cookie writes must carry the CSRF token."""
    if runtime.db.is_sqlite and request.method not in SAFE_METHODS:
        # A short read transaction of its own: on SQLite the request's write transaction takes
        # the single writer lock at its first statement and holds it until commit.
        with runtime.db.session(write=False) as reader:
            return _authenticate(request, reader)
    return _authenticate(request, session)


def _authenticate(request: Request, session: Session) -> Caller:
    token = _bearer(request)
    if token is not None:
        user = sessions.user_for_api_token(session, token)
        if user is None:
            raise Unauthenticated("invalid or revoked API token")
        return Caller(user=user, login=None)
    cookie = request.cookies.get(SESSION_COOKIE)
    found = sessions.user_for_session(session, cookie) if cookie else None
    if found is None:
        raise Unauthenticated("log in or pass an API token (Authorization: Bearer …)")
    user, login = found
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not hmac.compare_digest(sent, login.csrf_token):
            raise Forbidden(
                f"missing or wrong {CSRF_HEADER} header (cookie-authenticated writes need it)",
                details={"reason": "csrf"},
            )
    return Caller(user=user, login=login)


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_user(caller: CallerDep) -> User:
    """The authenticated user."""
    return caller.user


CurrentUser = Annotated[User, Depends(get_user)]
