"""Publishing a command's event and, when asked, waiting for the projection to apply it.

Every command's event id exists before it is published and is returned in every answer,
including a 503 (outcome unknown). With an `Idempotency-Key`, the event id *and* the id of the
resource the command creates are derived from the key (scoped to the caller), so a retried
request publishes the same event and answers with the same resource."""

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from cognitest.infra.bus.publisher import PublishFailed, Published
from cognitest.infra.tracing import current_traceparent
from cognitest.producers.api.errors import ApiError, OutcomeUnknown
from cognitest.producers.api.state import AppState, actor_of
from cognitest.schemas import Envelope, new_event

_IDEMPOTENCY = uuid5(NAMESPACE_URL, "https://cognitest.dev/idempotency")


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    return key[:256] if key else None


def derived_id(request: Request, purpose: str) -> UUID | None:
    """An id derived from the caller's Idempotency-Key (None without one): the same caller, key
    and purpose always give the same id; another caller's identical key gives another."""
    key = idempotency_key(request)
    if key is None:
        return None
    return uuid5(_IDEMPOTENCY, f"{actor_of(request)}\x1f{key}\x1f{purpose}")


def new_resource_id(request: Request, kind: str) -> UUID:
    """The id of the resource a command creates: stable across retries with an Idempotency-Key."""
    return derived_id(request, f"resource:{kind}") or uuid4()


def chosen_or_new(request: Request, body: BaseModel, field: str, kind: str) -> UUID:
    """The id the caller chose in the body, else one stable across retries."""
    if field in body.model_fields_set:
        return getattr(body, field)
    return new_resource_id(request, kind)


def wants_wait(request: Request) -> bool:
    flag = request.query_params.get("wait", "").lower() in {"1", "true", "yes"}
    prefer = "return=representation" in request.headers.get("prefer", "")
    return flag or prefer


def envelope_for(request: Request, state: AppState, payload: BaseModel, project_id: Any, *,
                 part: str = "") -> Envelope[Any]:
    """`part` tells apart the several events of one request (one per uploaded document, say)."""
    event_id = derived_id(request, f"event{part}")
    return new_event(
        payload, project_id=project_id, actor=actor_of(request), source=state.settings.source,
        correlationid=request.headers.get("x-correlation-id") or getattr(request.state, "request_id", None),
        traceparent=current_traceparent() or request.headers.get("traceparent"),
        event_id=str(event_id) if event_id else None,
    )


async def publish(state: AppState, event: Envelope[Any], *, wait: bool,
                  resource_id: Any = None) -> tuple[Published, bool | None]:
    """Publish; with wait, return whether the projection applied it (None = timed out).

    A publish the stream did not acknowledge is an unknown outcome (it may be stored once NATS
    answers again): 503 with the event id, and the same request with the same Idempotency-Key
    (or the same event) is deduplicated."""
    future = state.waiter.expect(event.id) if wait else None
    try:
        published = await state.publisher.publish(event)
    except PublishFailed as exc:
        if future is not None:
            state.waiter.forget(event.id)
        raise OutcomeUnknown(event.id, event.type, resource_id, str(exc)) from exc
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
