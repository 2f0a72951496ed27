"""Errors as JSON with a message and the request id; no traceback ever reaches a client."""

import errno
from typing import Any

import structlog
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, TimeoutError as PoolTimeout
from temporalio.service import RPCError
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from cognitest.infra.bus.connection import BusUnavailable
from cognitest.infra.bus.publisher import EventTooLarge, PublishFailed
from cognitest.infra.temporal import TemporalUnavailable
from cognitest.schemas import InvalidEvent, UnknownEventType

# the driver's words for "the server is not there right now" (asyncpg's exception classes)
OUTAGE_ERRORS = {"CannotConnectNowError", "ConnectionDoesNotExistError", "AdminShutdownError", "CrashShutdownError",
                 "TooManyConnectionsError", "ConnectionFailureError", "InterfaceError"}
OUTAGE_WORDS = ("starting up", "shutting down", "terminating connection", "Connect call failed",
                "connection was closed", "connection is closed")
OUTAGE_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE, errno.ETIMEDOUT,
                 errno.EHOSTUNREACH, errno.ENETUNREACH}
log = structlog.get_logger(__name__)


def is_outage(exc: BaseException) -> bool:
    """A database or network outage anywhere in the exception's chain: asyncpg's connection errors
    (also as SQLAlchemy's DBAPIError), a refused or reset socket (asyncpg raises a bare OSError
    "Multiple exceptions: Connect call failed ..." when every address of the host refuses)."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        if isinstance(link, DBAPIError) and link.connection_invalidated:
            return True
        if type(link).__name__ in OUTAGE_ERRORS or isinstance(link, ConnectionError | OperationalError | InterfaceError):
            return True
        if isinstance(link, OSError) and (link.errno in OUTAGE_ERRNOS or any(w in str(link) for w in OUTAGE_WORDS)):
            return True
        if isinstance(link, DBAPIError) and any(w in str(link) for w in OUTAGE_WORDS):
            return True
        link = link.__cause__ or link.__context__
    return False

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 422: "invalid",
         429: "too_many_requests", 500: "internal", 503: "unavailable", 504: "timeout"}


class BodyTooLarge(HTTPException):
    """The request body grew past the configured limit while it was being read (an HTTPException,
    so that FastAPI's body parsing passes it on instead of answering 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body is over {limit} bytes")


class NulInBody(HTTPException):
    """PostgreSQL text cannot hold NUL: a body with one is refused at the edge (422)."""

    def __init__(self) -> None:
        super().__init__(status_code=422, detail="NUL characters (\\u0000) are not allowed in text")


class ApiError(HTTPException):
    def __init__(self, status: int, message: str, details: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.details = details


class OutcomeUnknown(Exception):
    """The bus did not acknowledge a command's event in time: it may be stored once NATS answers
    again. The answer carries the event id; repeating the request with the same Idempotency-Key
    (or re-sending the same event) is deduplicated, so retrying is safe."""

    def __init__(self, event_id: str, event_type: str, resource_id: object, reason: str) -> None:
        super().__init__(reason)
        self.event_id = event_id
        self.event_type = event_type
        self.resource_id = resource_id


RETRY_AFTER = {"retry-after": "5"}


def error_body(request: Request, status: int, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "error": CODES.get(status, "error"),
        "message": message,
        "request_id": getattr(request.state, "request_id", None),
    }
    if details is not None:
        body["details"] = details
    return body


def _json(request: Request, status: int, message: str, details: Any = None) -> JSONResponse:
    return JSONResponse(error_body(request, status, message, details), status_code=status)


def _page_error(request: Request, status: int, message: str) -> Response:
    """Pages answer in HTML; someone not signed in is sent to the sign-in page and back."""
    from urllib.parse import quote

    from cognitest.producers.web.render import page

    if status == 401:
        return RedirectResponse(f"/ui/login?next={quote(request.url.path)}", status_code=303)
    titles = {403: "Not allowed", 404: "Not found", 429: "Too many requests"}
    return page(request, "error.html", status, code=status, title=titles.get(status, "Something went wrong"),
                message=message)


def _clean(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"loc": list(e.get("loc", [])), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in errors]


def _allowed(request: Request) -> set[str]:
    """The methods some route takes on this path (asked of the router itself, included routers too)."""
    from starlette.routing import Match

    return {method for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
            if any(route.matches({**request.scope, "method": method})[0] == Match.FULL
                   for route in request.app.router.routes)}


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        if request.url.path.startswith("/ui/"):
            return _page_error(request, exc.status_code, str(exc.detail))
        response = _json(request, exc.status_code, str(exc.detail), exc.details)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else CODES.get(exc.status_code, "error")
        response = _json(request, exc.status_code, message)
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:  # every method of the path (Starlette names only the first route's)
            response.headers["allow"] = ", ".join(sorted(_allowed(request)))
        return response

    # a body that passed its own model but not the event it becomes (pydantic's ValidationError)
    # is still the caller's input: 422 like any validation error
    @app.exception_handler(RequestValidationError)
    @app.exception_handler(ValidationError)
    async def validation_error(request: Request, exc: RequestValidationError | ValidationError) -> JSONResponse:
        errors = _clean(list(exc.errors()))
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return _json(request, 422, f"{where}: {first['msg']}" if where else first["msg"], errors)

    @app.exception_handler(InvalidEvent)
    async def invalid_event(request: Request, exc: InvalidEvent) -> JSONResponse:
        return _json(request, 422, str(exc), exc.errors or None)

    @app.exception_handler(UnknownEventType)
    async def unknown_type(request: Request, exc: UnknownEventType) -> JSONResponse:
        return _json(request, 422, str(exc))

    @app.exception_handler(BodyTooLarge)
    @app.exception_handler(NulInBody)
    async def refused_while_reading(request: Request, exc: BodyTooLarge | NulInBody) -> JSONResponse:
        return _json(request, exc.status_code, str(exc.detail))

    @app.exception_handler(EventTooLarge)
    async def too_large(request: Request, exc: EventTooLarge) -> JSONResponse:
        return _json(request, 413, str(exc))

    @app.exception_handler(OutcomeUnknown)
    async def outcome_unknown(request: Request, exc: OutcomeUnknown) -> JSONResponse:
        log.warning("api.publish_outcome_unknown", event_id=exc.event_id, error=str(exc))
        details = {"event_id": exc.event_id, "type": exc.event_type, "outcome": "unknown",
                   "resource_id": str(exc.resource_id) if exc.resource_id is not None else None}
        response = _json(request, 503, "the event bus did not acknowledge the event in time: it may still be stored. "
                         "Retry with the same Idempotency-Key (the retry is deduplicated) or check the event id",
                         details)
        response.headers.update(RETRY_AFTER)
        return response

    @app.exception_handler(PublishFailed)
    async def publish_failed(request: Request, exc: PublishFailed) -> JSONResponse:
        log.warning("api.publish_failed", error=str(exc))
        response = _json(request, 503, f"the event bus did not acknowledge every event, the outcome is unknown; "
                         f"retry with the same Idempotency-Key (deduplicated): {exc}")
        response.headers.update(RETRY_AFTER)
        return response

    @app.exception_handler(BusUnavailable)
    async def bus_unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("api.bus_unavailable", error=str(exc))
        response = _json(request, 503, f"the event bus is unavailable, nothing was published; retry: {exc}")
        response.headers.update(RETRY_AFTER)
        return response

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(PoolTimeout)
    @app.exception_handler(ConnectionError)
    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        log.warning("api.database_unavailable", error=str(exc)[:300])
        response = _json(request, 503, "the database is unavailable; retry shortly (events already accepted are kept)")
        response.headers.update(RETRY_AFTER)
        return response

    @app.exception_handler(TimeoutError)
    async def timed_out(request: Request, exc: Exception) -> JSONResponse:
        log.warning("api.dependency_timeout", error=str(exc) or type(exc).__name__, path=request.url.path)
        response = _json(request, 503, "a service the platform depends on did not answer in time; retry shortly")
        response.headers.update(RETRY_AFTER)
        return response

    @app.exception_handler(TemporalUnavailable)
    @app.exception_handler(RPCError)
    async def temporal_error(request: Request, exc: Exception) -> JSONResponse:
        log.warning("api.temporal_failed", error=str(exc))
        return _json(request, 503, f"the workflow engine is unavailable; retry: {exc}")

    @app.exception_handler(DBAPIError)
    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        """PostgreSQL starting up, shutting down, refusing or dropping connections is an outage (503)
        whatever wraps it; anything else is a bug (500, logged with its traceback)."""
        if is_outage(exc):
            return await database_error(request, exc)
        log.exception("api.unhandled", path=request.url.path)
        return _json(request, 500, "internal error; the request id identifies it in the server log")
