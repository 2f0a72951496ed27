"""The event API: publish any registered event, follow events live, manage dead letters."""

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from nats.js.errors import APIError, NotFoundError

from cognitest.infra.bus import dlq
from cognitest.infra.identity.permissions import EVENT_PERMISSIONS, Permission
from cognitest.producers.api.access.guard import principal_of, require
from cognitest.producers.api.access.principal import Principal
from cognitest.producers.api.commands import accepted, publish, wants_wait
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.follow import Follower
from cognitest.producers.api.references import check_event
from cognitest.producers.api.routes.nested import require_project
from cognitest.producers.api.routes.projects import require_person
from cognitest.producers.api.state import AppState, actor_of, get_state
from cognitest.schemas import parse_event, registry

State = Annotated[AppState, Depends(get_state)]
SEQ = Annotated[int, Path(ge=1, le=2**63 - 1, description="the dead letter's sequence in the dead-letter stream")]
router = APIRouter(prefix="/api/v1", tags=["events"])

EXAMPLE = {
    "type": "plan.created",
    "subject": "6f1c1f8e-8b1e-4c55-9c1e-2d7f3f0c9a10",
    "data": {"plan_id": "0d7c5d55-3f0a-4a57-8d0e-5d4f1f7a8b21", "name": "Checkout regression"},
}


@router.post(
    "/events", status_code=202, summary="Publish an event",
    description="Accepts any registered event type as a CloudEvents-style envelope (`type`, `subject` = project "
                "id, `data`; `id` optional). The actor is the caller. Unknown types and invalid payloads are "
                "refused with 422 and nothing is published. `?wait=true` waits for the projection.",
)
async def publish_event(request: Request, state: State,
                        raw: dict[str, Any] = Body(..., examples=[EXAMPLE]),
                        wait: bool = Query(False)) -> JSONResponse:
    raw = {**raw, "actor": actor_of(request)}  # the caller, whatever the body says
    raw.setdefault("source", state.settings.source)
    raw.setdefault("correlationid", request.headers.get("x-correlation-id") or request.state.request_id)
    event = parse_event(raw)
    await authorize_event(state, principal_of(request), event.type, event.project_id)
    if event.type == "project.created" and not principal_of(request).instance_admin \
            and event.data.owner_id not in (None, event.actor):
        raise ApiError(403, "only the instance admin may create a project owned by someone else")
    if event.type != "project.created":
        await require_project(state, UUID(event.subject))
    await check_event(state, event.type, event.id, event.project_id, event.data.model_dump())
    if event.type == "member.added":
        await require_person(state, event.data.user_id)
    published, applied = await publish(state, event, wait=wants_wait(request))
    if applied:
        return JSONResponse({"event_id": event.id, "type": event.type, "seq": published.seq,
                             "duplicate": published.duplicate, "applied": True}, status_code=200)
    return accepted(event, published, None)


async def authorize_event(state: AppState, principal: Principal, event_type: str, project_id: UUID) -> None:
    """The same permissions as the routes: a raw event gets no further than the route would."""
    if event_type not in EVENT_PERMISSIONS or EVENT_PERMISSIONS[event_type] is None:
        raise ApiError(403, f"{event_type} events are published by the platform itself, not through the API")
    if event_type == "project.created":
        if not principal.is_person:
            raise ApiError(403, "API tokens work inside their project; a person must create a project")
        return
    await require(state, principal, project_id, EVENT_PERMISSIONS[event_type])


@router.get("/event-types", summary="The event catalogue", description="Every event type with its version and JSON Schema.")
async def event_types() -> dict[str, Any]:
    return {"items": [
        {"type": name, "version": registry.version(name), "description": getattr(model, "__event_description__", ""),
         "schema": model.model_json_schema()}
        for name, model in registry.items()
    ]}


@router.get(
    "/events/stream", summary="Follow events live (server-sent events)",
    description="Streams events as they are published. Filter by project and type pattern (`run.*`, `plan.created`). "
                "Each SSE `id` is the stream sequence: reconnect with `Last-Event-ID` (or `since`) to resume.",
)
async def stream(request: Request, state: State,
                 project: UUID | None = Query(None, description="only this project's events"),
                 type: str | None = Query(None, max_length=128, pattern=r"^[a-z_>*]+(\.[a-z_>*]+)*$"),
                 since: int | None = Query(None, ge=1, description="start at this stream sequence"),
                 named: bool = Query(True, description="name each SSE message by its event type (false: unnamed, "
                                     "so a browser's EventSource.onmessage sees them all)"),
                 applied: bool = Query(False, description="send each event only once the read models reflect it "
                                       "(the projection applied or refused it; at most 10 s later), so a client "
                                       "that refetches on an event reads the change")) -> StreamingResponse:
    last_id = request.headers.get("last-event-id")
    start = since or (int(last_id) + 1 if last_id and last_id.isdigit() else None)
    principal = principal_of(request)
    if project is not None:
        await require(state, principal, project, Permission.view)
    elif not principal.instance_admin:
        raise ApiError(422, "project: name the project to follow (only the instance admin follows every project)")
    follower = await Follower(state, str(project) if project else None, type, start, applied).__aenter__()

    async def frames() -> AsyncIterator[bytes]:
        try:
            yield b": connected\n\n"
            while not await request.is_disconnected():
                item = await follower.next()
                if item is None:
                    yield b": keep-alive\n\n"
                    continue
                name = f"event: {item.type}\n" if named else ""
                yield f"id: {item.seq}\n{name}data: {item.raw.decode()}\n\n".encode()
        finally:
            await follower.__aexit__()

    return StreamingResponse(frames(), media_type="text/event-stream",
                             headers={"cache-control": "no-cache", "x-accel-buffering": "no"})


@router.get("/dead-letters", summary="List dead-lettered messages", tags=["dead letters"])
async def list_dead_letters(state: State, limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
    entries = await dlq.list_dead_letters(state.publisher.js, limit=limit)
    return {"items": [e.as_dict() for e in entries]}


@router.post("/dead-letters/{seq}/redrive", summary="Re-drive a dead letter onto the events stream", tags=["dead letters"])
async def redrive(state: State, seq: SEQ) -> dict[str, Any]:
    try:
        new_seq = await dlq.redrive(state.publisher.js, seq)
    except (NotFoundError, APIError):
        raise ApiError(404, f"no dead letter with sequence {seq}") from None
    return {"redriven": seq, "seq": new_seq}


@router.delete("/dead-letters/{seq}", summary="Discard a dead letter", tags=["dead letters"])
async def discard(state: State, seq: SEQ) -> dict[str, Any]:
    try:
        await dlq.discard(state.publisher.js, seq)
    except (NotFoundError, APIError):
        raise ApiError(404, f"no dead letter with sequence {seq}") from None
    return {"discarded": seq}


__all__ = ["json", "router"]
