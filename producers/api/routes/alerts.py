"""The alerts a project's notification rules produced: each delivery, and each message held back
(quiet hours, a digest, a rate limit) with the reason, so nothing an alert rule decided is silent."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder
from sqlalchemy import func, select

from cognitest.infra.db import models as m
from cognitest.producers.api.body import MAX_OFFSET
from cognitest.producers.api.routes.nested import require_project
from cognitest.producers.api.state import AppState, get_state

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/projects/{project_id}/alerts", tags=["alerts"])


@router.get("", summary="Alerts sent and held back (newest first)",
            description="ok=false with an error starting 'suppressed:' is a message a rule held back on purpose "
                        "(quiet hours, digest, rate limit); any other error is a delivery that failed.")
async def list_alerts(state: State, project_id: UUID, ok: bool | None = None,
                      channel: str | None = Query(None, pattern="^(slack|webhook|email)$"),
                      limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> dict[str, Any]:
    await require_project(state, project_id)
    conditions = [m.Alert.project_id == project_id]
    if ok is not None:
        conditions.append(m.Alert.ok.is_(ok))
    if channel:
        conditions.append(m.Alert.channel == channel)
    async with state.sessions() as session:
        total = await session.scalar(select(func.count()).select_from(m.Alert).where(*conditions))
        rows = list(await session.scalars(select(m.Alert).where(*conditions)
                                          .order_by(m.Alert.created_at.desc(), m.Alert.id).limit(limit).offset(offset)))
    items = [{"id": a.id, "channel": a.channel, "target": a.target, "about_event_id": a.about_event_id, "ok": a.ok,
              "status_code": a.status_code, "error": a.error, "created_at": a.created_at} for a in rows]
    return {"items": jsonable_encoder(items), "total": total or 0, "limit": limit, "offset": offset}
