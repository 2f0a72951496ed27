"""Signing in with a built-in account: a browser session in an HttpOnly cookie, plus the CSRF
token that every state-changing request of that session must send back as X-CSRF-Token."""

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from cognitest.producers.api.access.authenticate import SESSION_COOKIE
from cognitest.producers.api.access.guard import principal_of
from cognitest.producers.api.access.rate_limit import RateLimited
from cognitest.producers.api.body import Body
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.state import AppState, get_state

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Login(Body):
    email: str = Field(min_length=3, max_length=255)
    password: str = Field(min_length=1, max_length=1024)


def secure_cookie(state: AppState, request: Request) -> bool:
    if state.settings.auth.cookie_secure is not None:
        return state.settings.auth.cookie_secure
    host = urlsplit(str(request.base_url)).hostname or ""
    return request.url.scheme == "https" or host not in ("127.0.0.1", "localhost", "::1")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/login", summary="Sign in with email and password",
             description="Sets the session cookie (HttpOnly, SameSite=Lax; Secure unless served on localhost over "
                         "http) and returns the CSRF token that state-changing requests of this session send as "
                         "X-CSRF-Token. Attempts are rate-limited per client address and per account (429).")
async def login(request: Request, state: State, body: Login) -> JSONResponse:
    try:
        state.login_limit.hit(f"user:{body.email.strip().lower()}")
        state.address_limit.hit(f"ip:{client_address(request)}")
    except RateLimited as exc:
        raise ApiError(429, str(exc), headers={"retry-after": str(int(exc.retry_after) + 1)}) from None
    account = await state.auth.store.check_password(body.email, body.password)
    if account is None:
        raise ApiError(401, "wrong email or password")
    hours = state.settings.auth.session_hours
    cookie, csrf = await state.auth.store.open_session(account.id, hours)
    response = JSONResponse({"user": account.as_dict(), "csrf_token": csrf})
    response.set_cookie(SESSION_COOKIE, cookie, max_age=int(hours * 3600), httponly=True, samesite="lax",
                        secure=secure_cookie(state, request), path="/")
    return response


@router.post("/logout", summary="End this browser session")
async def logout(request: Request, state: State) -> JSONResponse:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await state.auth.store.close_session(cookie)
    response = JSONResponse({"signed_out": True})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", summary="Who the caller is")
async def me(request: Request) -> dict[str, Any]:
    p = principal_of(request)
    return {"actor": p.actor, "kind": p.kind, "instance_admin": p.instance_admin,
            "project_id": str(p.token_project) if p.token_project else None,
            "role": p.token_role.value if p.token_role else None, "csrf_token": p.csrf}
