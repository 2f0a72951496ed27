"""Browser sessions, for every way of signing in (the JSON API, the sign-in page, the identity
provider's callback): the rate limits, the cookie and its flags, signing out."""

from urllib.parse import urlsplit
from uuid import UUID

from fastapi import Request, Response

from cognitest.producers.api.access.authenticate import SESSION_COOKIE
from cognitest.producers.api.state import AppState


def secure_cookie(state: AppState, request: Request) -> bool:
    if state.settings.auth.cookie_secure is not None:
        return state.settings.auth.cookie_secure
    host = urlsplit(str(request.base_url)).hostname or ""
    return request.url.scheme == "https" or host not in ("127.0.0.1", "localhost", "::1")


def count_attempt(state: AppState, request: Request, email: str) -> None:
    """One sign-in attempt, per account and per client address (RateLimited when over either)."""
    state.login_limit.hit(f"user:{email.strip().lower()}")
    state.address_limit.hit(f"ip:{request.client.host if request.client else 'unknown'}")


async def open_session(state: AppState, user_id: UUID) -> tuple[str, str]:
    """A new session for the user: its cookie value and its CSRF token."""
    return await state.auth.store.open_session(user_id, state.settings.auth.session_hours)


def set_cookie(state: AppState, request: Request, response: Response, cookie: str) -> None:
    response.set_cookie(SESSION_COOKIE, cookie, max_age=int(state.settings.auth.session_hours * 3600), httponly=True,
                        samesite="lax", secure=secure_cookie(state, request), path="/")


async def start(state: AppState, request: Request, response: Response, user_id: UUID) -> None:
    """Open a session for the user and set its cookie on the response."""
    cookie, _ = await open_session(state, user_id)
    set_cookie(state, request, response, cookie)


async def end(state: AppState, request: Request, response: Response) -> None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await state.auth.store.close_session(cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")
