"""Publishing a command's event and, when asked, waiting for the projection to apply it."""

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from cognitest.infra.bus.publisher import Published
from cognitest.infra.tracing import current_traceparent
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.state import AppState, actor_of
from cognitest.schemas import Envelope, new_event


def wants_wait(request: Request) -> bool:
    flag = request.query_params.get("wait", "").lower() in {"1", "true", "yes"}
    prefer = "return=representation" in request.headers.get("prefer", "")
    return flag or prefer


def envelope_for(request: Request, state: AppState, payload: BaseModel, project_id: Any) -> Envelope[Any]:
    idempotency_key = request.headers.get("idempotency-key")
    return new_event(
        payload, project_id=project_id, actor=actor_of(request), source=state.settings.source,
        correlationid=request.headers.get("x-correlation-id") or getattr(request.state, "request_id", None),
        traceparent=current_traceparent() or request.headers.get("traceparent"),
        event_id=idempotency_key[:128] if idempotency_key else None,
    )


async def publish(state: AppState, event: Envelope[Any], *, wait: bool) -> tuple[Published, bool | None]:
    """Publish; with wait, return whether the projection applied it (None = timed out)."""
    future = state.waiter.expect(event.id) if wait else None
    published = await state.publisher.publish(event)
    if future is None:
        return published, None
    outcome = await state.waiter.wait(event.id, future, state.settings.http.wait_timeout)
    if outcome is None:
        return published, None
    if not outcome.applied:
        raise ApiError(422, f"the event was refused by the projection: {outcome.reason}",
                       {"event_id": event.id})
    return published, True


def accepted(event: Envelope[Any], published: Published, resource_id: Any, **extra: Any) -> JSONResponse:
    body = {"event_id": event.id, "type": event.type, "resource_id": str(resource_id) if resource_id else None,
            "seq": published.seq, "duplicate": published.duplicate, "applied": False, **extra}
    return JSONResponse(body, status_code=202, headers={"location": extra.get("location", "")} if extra.get("location") else None)
