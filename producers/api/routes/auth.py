"""Signing in with a built-in account: a browser session in an HttpOnly cookie, plus the CSRF
token that every state-changing request of that session must send back as X-CSRF-Token."""

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from cognitest.infra.identity.passwords import MIN_LENGTH, WeakPassword
from cognitest.producers.api.access import sessions
from cognitest.producers.api.access.authenticate import SESSION_COOKIE
from cognitest.producers.api.access.guard import principal_of
from cognitest.producers.api.body import Body
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.state import AppState, get_state

State = Annotated[AppState, Depends(get_state)]
log = structlog.get_logger(__name__)
router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Login(Body):
    email: str = Field(min_length=3, max_length=255)
    password: str = Field(min_length=1, max_length=1024)


@router.post("/login", summary="Sign in with email and password",
             description="Sets the session cookie (HttpOnly, SameSite=Lax; Secure unless served on localhost over "
                         "http) and returns the CSRF token that state-changing requests of this session send as "
                         "X-CSRF-Token. Attempts are rate-limited per client address and per account (429).")
async def login(request: Request, state: State, body: Login) -> JSONResponse:
    sessions.count_attempt(state, request, body.email)  # 429 when over a limit
    account = await state.auth.store.check_password(body.email, body.password)
    if account is None:
        raise ApiError(401, "wrong email or password")
    cookie, csrf = await sessions.open_session(state, account.id)
    response = JSONResponse({"user": account.as_dict(), "csrf_token": csrf})
    sessions.set_cookie(state, request, response, cookie)
    return response


@router.post("/logout", summary="End this browser session")
async def logout(request: Request, state: State) -> JSONResponse:
    response = JSONResponse({"signed_out": True})
    await sessions.end(state, request, response)
    return response


@router.get("/me", summary="Who the caller is")
async def me(request: Request) -> dict[str, Any]:
    p = principal_of(request)
    return {"actor": p.actor, "kind": p.kind, "instance_admin": p.instance_admin,
            "project_id": str(p.token_project) if p.token_project else None,
            "role": p.token_role.value if p.token_role else None, "csrf_token": p.csrf}


class PasswordChange(Body):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=MIN_LENGTH, max_length=1024,
                              description=f"at least {MIN_LENGTH} characters; stored as Argon2id")


@router.post("/password", summary="Change your own password",
             description="For a built-in account signed in with its password (a browser session): the current "
                         "password is checked (rate-limited like sign-in), the new one stored, and every other "
                         "session of the account ended. People signed in by an identity provider change it there.")
async def change_password(request: Request, state: State, body: PasswordChange) -> dict[str, Any]:
    p = principal_of(request)
    if p.kind != "user":
        raise ApiError(403, "only a person signed in with a built-in account's password can change it "
                            "(an identity provider's account changes it there; an API token has none)")
    sessions.count_attempt(state, request, p.actor)  # 429: the current password cannot be guessed here either
    try:
        ended = await state.auth.store.set_password(p.actor, body.new_password, current=body.current_password,
                                                    keep_session=request.cookies.get(SESSION_COOKIE))
    except WeakPassword as exc:
        raise ApiError(422, f"new_password: {exc}") from None
    if ended is None:
        raise ApiError(403, "the current password is wrong")
    log.info("auth.password_changed", user=p.actor, sessions_ended=ended)
    return {"changed": True, "other_sessions_ended": ended}
