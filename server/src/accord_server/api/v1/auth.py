"""Login, logout, the current user, personal API tokens."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from accord_server.api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CallerDep,
    CurrentUser,
    RuntimeDep,
    SessionDep,
    api_router,
    client_address,
    inline,
)
from accord_server.api.errors import error_body
from accord_server.runtime import Runtime
from accord_server.schemas.accounts import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenRead,
    LoginCreate,
    MembershipRead,
    MeRead,
    PasswordChange,
    ProfileUpdate,
    UserRead,
)
from accord_server.schemas.common import ErrorRead, Id
from accord_server.services import accounts, login_limits, sessions

router = api_router(prefix="/api/v1/auth", tags=["auth"])


def _limits(runtime: Runtime) -> login_limits.LoginLimits:
    return login_limits.LoginLimits.from_settings(runtime.settings)


def _forget_old(runtime: Runtime) -> None:
    # A transaction of its own that never waits for another (see forget_old).
    with runtime.db.transaction() as cleaning:
        login_limits.forget_old(cleaning, limits=_limits(runtime))


def _me(session: SessionDep, user: CurrentUser, csrf: str | None) -> MeRead:
    rows = accounts.list_memberships(session, user=user)
    return MeRead(
        user=UserRead.model_validate(user),
        memberships=[
            MembershipRead(organization_id=o.id, organization_name=o.name, role=m.role)
            for m, o in rows
        ],
        csrf_token=csrf,
    )


@router.post(
    "/login",
    response_model=MeRead,
    responses={401: {"model": ErrorRead}, 429: {"model": ErrorRead}},
)
def login(
    body: LoginCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
) -> MeRead:
    """Log in with email and password: sets the session cookie and returns the CSRF token.

    After a few wrong passwords for an account, or many from one address, attempts must wait
    (429 with `Retry-After`, doubling with each failure); the account is never locked."""
    settings = runtime.settings
    address = client_address(request)
    with runtime.db.transaction() as counting:
        login_limits.claim_attempt(
            counting, email=body.email, address=address, limits=_limits(runtime)
        )
    _forget_old(runtime)
    with runtime.db.transaction(write=False) as reading:
        user_id = sessions.check_login(reading, email=body.email, password=body.password)
    new = sessions.open_login(session, user_id=user_id, days=settings.session_days)
    login_limits.forgive(session, email=body.email, address=address)
    max_age = settings.session_days * 86400
    response.set_cookie(
        SESSION_COOKIE,
        new.session_token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE,
        new.csrf_token,
        max_age=max_age,
        httponly=False,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    return _me(session, new.user, new.csrf_token)


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, session: SessionDep, caller: CallerDep) -> None:
    """End the login session."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        sessions.logout(session, session_token=cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.post(
    "/password",
    status_code=204,
    responses={422: {"model": ErrorRead}, 429: {"model": ErrorRead}},
)
def change_password(
    body: PasswordChange,
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    runtime: RuntimeDep,
) -> Response:
    """Change your password (the current one is required; a wrong one counts like a failed
    login). Your other login sessions end, this one stays; with `revoke_tokens` every API
    token of yours is revoked too, the one sending this request included."""
    address = client_address(request)
    try:
        sessions.change_password(
            session,
            user=caller.user,
            current=body.current_password,
            new=body.new_password,
            keep_login_id=caller.login.id if caller.login else None,
            address=address,
            limits=_limits(runtime),
            revoke_tokens=body.revoke_tokens,
        )
    except sessions.WrongPassword as exc:
        # Answer without raising so that this transaction commits the counted guess.
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=422)
    return Response(status_code=204)


@router.get("/me", response_model=MeRead)
@inline
def me(session: SessionDep, caller: CallerDep) -> MeRead:
    """The current user and their organizations."""
    return _me(session, caller.user, caller.login.csrf_token if caller.login else None)


@router.patch("/me", response_model=MeRead)
def update_me(body: ProfileUpdate, session: SessionDep, caller: CallerDep) -> MeRead:
    """Change your display name (shown to your organizations' members and in statistics)."""
    user = accounts.set_name(session, user=caller.user, name=body.name)
    return _me(session, user, caller.login.csrf_token if caller.login else None)


@router.get("/tokens", response_model=list[ApiTokenRead])
def list_tokens(session: SessionDep, user: CurrentUser) -> list[ApiTokenRead]:
    """Your API tokens (secrets are never shown again)."""
    return [ApiTokenRead.model_validate(t) for t in sessions.list_api_tokens(session, user=user)]


@router.post("/tokens", response_model=ApiTokenCreated, status_code=201)
def create_token(body: ApiTokenCreate, session: SessionDep, user: CurrentUser) -> ApiTokenCreated:
    """A new API token; the `token` field is shown this once."""
    token, secret = sessions.create_api_token(session, user=user, name=body.name)
    return ApiTokenCreated.model_validate(
        {**ApiTokenRead.model_validate(token).model_dump(), "token": secret}
    )


@router.delete("/tokens/{token_id}", response_model=ApiTokenRead)
def revoke_token(token_id: Id, session: SessionDep, user: CurrentUser) -> ApiTokenRead:
    """Revoke one of your API tokens."""
    return ApiTokenRead.model_validate(
        sessions.revoke_api_token(session, user=user, token_id=token_id)
    )


@router.get("/preferences", response_model=dict[str, Any])
def get_preferences(user: CurrentUser) -> dict[str, Any]:
    """Your saved preferences (the web app's keymap remapping, ...); `{}` when none."""
    return dict(user.preferences or {})


@router.put("/preferences", response_model=dict[str, Any])
def put_preferences(body: dict[str, Any], session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Replace your preferences with this object."""
    return dict(accounts.set_preferences(session, user=user, preferences=body).preferences)
