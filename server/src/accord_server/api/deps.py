"""Dependencies as ``Annotated`` aliases: the runtime, the transaction, the caller."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import hmac
import inspect
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, cast

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from accord_server.api.bodies import is_large
from accord_server.api.input_checks import Handler, checked_input
from accord_server.db.base import utcnow
from accord_server.db.engine import (
    NeedsTransaction,
    ThreadConnections,
    WriterLock,
    statement_atomic,
)
from accord_server.db.models import User, UserSession
from accord_server.runtime import Runtime
from accord_server.services import sessions
from accord_server.services.errors import Forbidden, Unauthenticated
from accord_server.services.security import hash_secret

F = TypeVar("F", bound=Callable[..., Any])

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


async def get_session(request: Request) -> Session:
    """The request's session. It does no I/O here (a session connects at its first statement):
    authentication, the endpoint and the commit run in one worker-thread call, which also
    closes it (see ``RequestRoute``); a request rejected before that never connected."""
    runtime: Runtime = request.app.state.runtime
    session = runtime.db.session(write=request.method not in SAFE_METHODS)
    session.info[_REQUEST] = (request, runtime)
    return session


SessionDep = Annotated[Session, Depends(get_session)]


def client_address(request: Request) -> str:
    """The client's address: the TCP peer, or what a trusted proxy says it is (uvicorn rewrites
    it from X-Forwarded-For only for the peers in ``trusted_proxies``: ``app.server_options``)."""
    return request.client.host if request.client else "unknown"


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


class _Pending:
    """A dependency whose database work waits for the request's worker thread; ``RequestRoute``
    swaps it for its value before the endpoint runs."""

    def __init__(self, session: Session, resolve: Callable[[], object]) -> None:
        self.session = session
        self.value = resolve


_REQUEST = "accord_request"
_CALLER = "accord_caller"


def _caller_for(session: Session) -> Caller:
    found = session.info.get(_CALLER)
    if isinstance(found, Caller):
        return found
    request, runtime = session.info[_REQUEST]
    caller = _authenticate(request, session, runtime)
    if caller.login is not None and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not hmac.compare_digest(sent, caller.login.csrf_token):
            raise Forbidden(
                f"missing or wrong {CSRF_HEADER} header (cookie-authenticated writes need it)",
                details={"reason": "csrf"},
            )
    session.info[_CALLER] = caller
    return caller


async def get_caller(session: SessionDep) -> Caller:
    """Authenticate by API token or session cookie; cookie writes must carry the CSRF token.

    Resolved in the request's worker thread, as the endpoint's first database work."""
    return cast(Caller, _Pending(session, lambda: _caller_for(session)))


def _authenticate(request: Request, session: Session, runtime: Runtime) -> Caller:
    token = _bearer(request)
    secret = token if token is not None else request.cookies.get(SESSION_COOKIE)
    if not secret:
        raise Unauthenticated("log in or pass an API token (Authorization: Bearer …)")
    token_hash = hash_secret(secret)
    known = sessions.recent_credentials.recall(token_hash, utcnow())
    if known is not None:
        return Caller(*sessions.attach_known(session, known))
    if runtime.db.is_sqlite and request.method not in SAFE_METHODS:
        # A short read transaction of its own: on SQLite the request's write transaction takes
        # the single writer lock at its first statement and holds it until commit.
        with runtime.db.session(write=False) as reader:
            found = _look_up(reader, runtime, token, secret, token_hash)
        # Hand the endpoint objects of its own session, so that changes to them are saved.
        caller = Caller(
            user=session.merge(found.user, load=False),
            login=None if found.login is None else session.merge(found.login, load=False),
        )
    else:
        caller = _look_up(session, runtime, token, secret, token_hash)
    sessions.recent_credentials.remember(
        token_hash, caller.user, caller.login, runtime.settings.auth_cache_seconds
    )
    return caller


def _look_up(
    session: Session, runtime: Runtime, token: str | None, secret: str, token_hash: str
) -> Caller:
    if token is not None:
        by_token = sessions.user_for_api_token(session, token, token_hash=token_hash)
        if by_token is None:
            raise Unauthenticated("invalid or revoked API token")
        user, token_id = by_token
        runtime.token_use.note(token_id)
        return Caller(user=user, login=None)
    by_login = sessions.user_for_session(session, secret, token_hash=token_hash)
    if by_login is None:
        raise Unauthenticated("log in or pass an API token (Authorization: Bearer …)")
    return Caller(*by_login)


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_user(session: SessionDep) -> User:
    """The authenticated user (resolved like ``get_caller``)."""
    return cast(User, _Pending(session, lambda: _caller_for(session).user))


CurrentUser = Annotated[User, Depends(get_user)]

T = TypeVar("T")


async def run_as_caller(
    request: Request, call: Callable[[Session, User], T], *, write: bool = True
) -> T:
    """Run ``call(session, user)`` as a plain endpoint runs: in one worker-thread call,
    authenticated like ``CurrentUser`` (token, or session cookie + CSRF token), in a
    transaction of its own that commits when it returns, then the after-commit callbacks.

    For an ``async`` endpoint that must act before it reads the body, and again after (an
    upload: the caller is checked before a byte of it is read, and the files are kept only
    after); each call authenticates again (the credentials cache makes it cheap)."""
    runtime: Runtime = request.app.state.runtime
    session = runtime.db.session(write=write)
    session.info[_REQUEST] = (request, runtime)
    user = cast(User, _Pending(session, lambda: _caller_for(session).user))

    def endpoint(session: Session, user: User) -> T:
        return call(session, user)

    result: T = await run_in_threadpool(_run_endpoint, endpoint, {"session": session, "user": user})
    return result


def _session_of(kwargs: dict[str, Any]) -> Session | None:
    return next(
        (
            v if isinstance(v, Session) else v.session
            for v in kwargs.values()
            if isinstance(v, Session | _Pending)
        ),
        None,
    )


def _run_endpoint(call: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """One request's database work in the calling (worker) thread: authenticate, run the
    endpoint in the transaction, commit, then the after-commit callbacks."""
    session = _session_of(kwargs)
    if session is None:
        return call(**kwargs)
    if getattr(call, _ONE_WRITE, False) and not session.info[_REQUEST][1].db.is_sqlite:
        try:
            return _run_statement_atomic(session, call, dict(kwargs))
        except NeedsTransaction:
            session.info.pop(_CALLER, None)  # its user belonged to the first try's session
    return _run_in_session(session, call, kwargs)


def _run_in_session(session: Session, call: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    with session:
        with session.begin():
            result = _call(call, kwargs)
        return _after_commit(session, result)


def _run_statement_atomic(
    session: Session, call: Callable[..., Any], kwargs: dict[str, Any]
) -> Any:
    """``_run_in_session`` with each statement its own transaction (see ``one_write``): in
    the hot lane on the thread's own connection (``ThreadConnections``), with no session
    transaction at all; elsewhere on a pooled connection switched to autocommit."""
    held: ThreadConnections | None = getattr(_IN_LANE, "connections", None)
    with session:
        if held is not None:
            with statement_atomic(session, held.connection()):
                result = _call(call, kwargs)
        else:
            with session.begin(), statement_atomic(session):
                result = _call(call, kwargs)
        return _after_commit(session, result)


def _call(call: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    for key, value in kwargs.items():
        if isinstance(value, _Pending):
            kwargs[key] = value.value()
    return call(**kwargs)


def _after_commit(session: Session, result: Any) -> Any:
    for callback in session.info.pop(AFTER_COMMIT, []):
        callback()
    return result


class RequestRoute(APIRoute):
    """A route whose plain-``def`` endpoint runs, with its authentication and its transaction,
    in ONE worker-thread call (or on the event loop itself when marked ``@inline``).

    FastAPI would otherwise run each sync dependency and the endpoint in separate thread-pool
    round trips (four per request here, ~0.45 ms each and a GIL hand-off apiece); the
    dependencies above are ``async`` and do no I/O, and ``_run_endpoint`` does the rest."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _one_hop(endpoint)
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Handler:
        """FastAPI's handler, behind the decoding of a JSON body (a large one in a thread,
        ``bodies``) and the checks that the input can be stored (``input_checks``)."""
        return checked_input(self, super().get_route_handler())


def _one_hop(call: Callable[..., Any]) -> Callable[..., Any]:
    """The async endpoint FastAPI calls: one thread-pool call, or inline (see ``inline``)."""
    if not getattr(call, _INLINE, False):

        async def endpoint(**kwargs: Any) -> Any:
            return await run_in_threadpool(_run_endpoint, call, kwargs)

        return functools.wraps(call)(endpoint)

    async def inline_endpoint(**kwargs: Any) -> Any:
        session = _session_of(kwargs)
        if session is None:
            return await run_in_threadpool(_run_endpoint, call, kwargs)
        request, runtime = session.info[_REQUEST]
        if is_large(request):
            # Checking and writing a large body takes long: in the shared pool, never on the
            # loop nor in the hot lane (a 20,000-box submit held every request for 0.5 s).
            return await run_in_threadpool(_run_endpoint, call, kwargs)
        if not runtime.db.is_sqlite:
            # A server database: threads overlap its round trips (the loop could not), a few
            # of them (see ``_hot_lane``).
            lane = _hot_lane(request, runtime)
            run = contextvars.copy_context().run
            return await asyncio.get_running_loop().run_in_executor(
                lane, run, _run_endpoint, call, kwargs
            )
        lock: WriterLock | None = runtime.db.writer_lock
        if request.method in SAFE_METHODS or lock is None:
            return _run_endpoint(call, kwargs)  # a read: WAL readers never wait
        holder = lock.try_acquire()
        if holder == "thread":
            holder = "taken" if await _take_on_loop(lock) else "process"
        if holder != "taken":
            # Another process writes (the worker: an import, event delivery): wait in a thread.
            return await run_in_threadpool(_run_endpoint, call, kwargs)
        try:
            return _run_endpoint(call, kwargs)
        finally:
            lock.release()

    return functools.wraps(call)(inline_endpoint)


async def _take_on_loop(lock: WriterLock) -> bool:
    """Take the writer lock without leaving the event loop while a thread of this process holds
    it; False as soon as another process holds it (the caller then waits in a thread).

    Without this, one write that had to wait for the worker in a thread kept the lock busy for
    the next, which went to a thread too, and so on: the hot path kept hopping (5 % more
    instructions per next + submit on SQLite with event delivery on)."""
    loop = asyncio.get_running_loop()
    while True:
        released: asyncio.Future[None] = loop.create_future()
        cancel = lock.notify(functools.partial(_wake_from_thread, loop, released))
        try:
            holder = lock.try_acquire()
            if holder != "thread":
                return holder == "taken"
            await released
        finally:
            cancel()


def _wake_from_thread(loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]) -> None:
    loop.call_soon_threadsafe(_wake, future)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


_INLINE = "__accord_inline__"
_ONE_WRITE = "__accord_one_write__"


_IN_LANE = threading.local()
"""In the hot lane's threads: ``connections``, their ``ThreadConnections``."""


def _hot_lane(request: Request, runtime: Runtime) -> ThreadPoolExecutor:
    """The threads the hot path runs in on PostgreSQL: ``hot_path_threads`` of them (default
    twice the CPU count), apart from the shared pool, so slow requests (uploads, exports) do
    not hold it up. Measured on 2 cores at 32 annotators: 4 threads gave 1.7x the throughput
    and a third of the p99 of the shared pool's 40, which fought over the GIL and, inside
    PostgreSQL, over the same rows. A plain executor: anyio's thread hop cost 0.06 ms more CPU
    per request (measured in a running server). Each thread holds a connection of its own
    for the statement-atomic endpoints (``one_write``)."""
    state = request.app.state
    lane: ThreadPoolExecutor | None = getattr(state, "hot_lane", None)
    if lane is None:
        connections = state.hot_lane_connections = ThreadConnections(runtime.db.write_engine)
        lane = state.hot_lane = ThreadPoolExecutor(
            runtime.settings.hot_path_threads,
            thread_name_prefix="accord-hot-path",
            initializer=functools.partial(setattr, _IN_LANE, "connections", connections),
        )
    return lane


def close_hot_lane(app: FastAPI) -> None:
    """Let the hot path's threads finish and go, and close their connections (at shutdown)."""
    lane: ThreadPoolExecutor | None = getattr(app.state, "hot_lane", None)
    if lane is not None:
        lane.shutdown(wait=True)
        app.state.hot_lane = None
        app.state.hot_lane_connections.close()


def inline(call: F) -> F:
    """On SQLite, run this endpoint on the event loop instead of the thread pool.

    For short, bounded requests on the annotators' hot path (next, submit, skip, draft): a
    thread hop costs more than their whole in-process database work on a small VM (~0.2 ms and
    a GIL hand-off each way, and under 32 concurrent annotators the hand-offs convoy). They
    must never wait long: a write runs inline only when the writer lock is free at once, and
    otherwise waits its turn in the thread pool; reads never wait in WAL mode. On PostgreSQL
    they run in threads, which overlap the round trips to the server (measured: inline halved
    PostgreSQL's throughput at 32 annotators) — a few threads of their own (``_hot_lane``).
    A request whose body is large (``bodies.LARGE_BODY_BYTES``) is not short: it runs in the
    shared thread pool on either database."""
    setattr(call, _INLINE, True)
    return call


def one_write(call: F) -> F:
    """On PostgreSQL, run this endpoint first with each statement its own transaction
    (``statement_atomic``: no BEGIN, no COMMIT, two round trips of five on a submit).

    Each write its services make must be ONE statement that leaves the data consistent on its
    own; when the case at hand needs more (a retry, a lease that changed, a client id in use),
    they raise ``NeedsTransaction`` before writing it, and the endpoint runs again, from the
    start, in a transaction as usual."""
    setattr(call, _ONE_WRITE, True)
    return call


def api_router(**kwargs: Any) -> APIRouter:
    """An ``APIRouter`` whose routes are ``RequestRoute``s."""
    return APIRouter(route_class=RequestRoute, **kwargs)
