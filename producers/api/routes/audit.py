"""The audit log: every applied event of a project with who caused it and when, filtered by
actor, type and time. (The event stream itself holds the full payloads.)"""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder
from sqlalchemy import func, select

from cognitest.infra.db import models as m
from cognitest.producers.api.body import MAX_OFFSET, IsoDateTime
from cognitest.producers.api.state import AppState, get_state

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/projects/{project_id}/audit", tags=["audit"])
applied = m.AppliedEvent.__table__


@router.get("", summary="Who did what, and when (newest first)")
async def audit_log(state: State, project_id: UUID,
                    actor: str | None = Query(None, max_length=255, description="one user, token:<id>, or a process"),
                    type: str | None = Query(None, max_length=128, pattern=r"^[a-z_.*]+$",
                                             description="an event type, or a prefix ending in * (run.*)"),
                    since: IsoDateTime | None = Query(None, description="at or after this time (ISO 8601)"),
                    until: IsoDateTime | None = Query(None, description="before this time (ISO 8601)"),
                    limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> dict[str, Any]:
    c = applied.c
    conditions = [c.project_id == project_id]
    if actor:
        conditions.append(c.actor == actor)
    if type:
        conditions.append(c.event_type.like(type.replace("*", "%")) if "*" in type else c.event_type == type)
    if since:
        conditions.append(c.occurred_at >= since)
    if until:
        conditions.append(c.occurred_at < until)
    async with state.sessions() as session:
        total = await session.scalar(select(func.count()).select_from(applied).where(*conditions))
        rows = await session.execute(select(c.event_id, c.event_type, c.actor, c.occurred_at, c.stream_seq)
                                     .where(*conditions).order_by(c.stream_seq.desc()).limit(limit).offset(offset))
    items = [{"event_id": r.event_id, "type": r.event_type, "actor": r.actor, "time": r.occurred_at,
              "seq": r.stream_seq} for r in rows]
    return {"items": jsonable_encoder(items), "total": int(total or 0), "limit": limit, "offset": offset}
