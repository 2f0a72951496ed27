"""Liveness and readiness."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text

from cognitest.producers.api.state import AppState, get_state
from cognitest.schemas.subjects import EVENTS_STREAM

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The API process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _check(name: str, probe: Any) -> tuple[str, dict[str, Any]]:
    try:
        detail = await asyncio.wait_for(probe, 3)
        return name, {"ok": True, **(detail or {})}
    except Exception as exc:  # noqa: BLE001  any failure means "not ready"
        return name, {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


@router.get("/readyz", summary="NATS, PostgreSQL and Temporal are reachable")
async def readyz(state: State) -> JSONResponse:
    async def nats() -> dict[str, Any]:
        info = await state.publisher.js.stream_info(EVENTS_STREAM)
        return {"messages": info.state.messages}

    async def postgres() -> dict[str, Any]:
        async with state.engine.connect() as conn:
            version = await conn.scalar(text("SELECT version_num FROM alembic_version"))
        return {"schema": version}

    async def temporal() -> dict[str, Any]:
        client = await state.temporal()
        await client.service_client.check_health()
        return {"namespace": state.settings.temporal.namespace}

    checks = dict(await asyncio.gather(_check("nats", nats()), _check("postgres", postgres()),
                                       _check("temporal", temporal())))
    ready = all(c["ok"] for c in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                        status_code=200 if ready else 503)
