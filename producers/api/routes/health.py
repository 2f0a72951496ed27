"""Liveness and readiness."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from cognitest.producers.api.state import AppState, get_state
from cognitest.schemas.subjects import DLQ_STREAM, EVENTS_STREAM

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The API process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metrics", summary="Prometheus metrics of the API process", response_class=Response,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Prometheus text exposition format"}},
            description="Request latency histograms by route and status (p50/p95/p99 derivable), events published "
                        "by type. The consumers and the worker serve theirs on their own ports (settings `metrics`).")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def _check(name: str, probe: Any) -> tuple[str, dict[str, Any]]:
    try:
        detail = await asyncio.wait_for(probe, 3)
        return name, {"ok": True, **(detail or {})}
    except Exception as exc:  # noqa: BLE001  any failure means "not ready"
        return name, {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


async def _checks(state: AppState) -> dict[str, dict[str, Any]]:
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

    return dict(await asyncio.gather(_check("nats", nats()), _check("postgres", postgres()),
                                     _check("temporal", temporal())))


@router.get("/readyz", summary="NATS, PostgreSQL and Temporal are reachable")
async def readyz(state: State) -> JSONResponse:
    checks = await _checks(state)
    ready = all(c["ok"] for c in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                        status_code=200 if ready else 503)


@router.get("/api/v1/status", summary="Health of every part and the lag of every consumer")
async def status(state: State) -> dict[str, Any]:
    checks = await _checks(state)
    consumers: list[dict[str, Any]] = []
    dead_letters = None
    try:
        for info in await state.publisher.js.consumers_info(EVENTS_STREAM):
            consumers.append({"name": info.name, "pending": info.num_pending, "unacked": info.num_ack_pending,
                              "redelivered": info.num_redelivered, "waiting_pulls": info.num_waiting,
                              "last_delivered_seq": info.delivered.stream_seq if info.delivered else None})
        dead_letters = (await state.publisher.js.stream_info(DLQ_STREAM)).state.messages
    except Exception as exc:  # noqa: BLE001  NATS down: the checks say so
        checks.setdefault("consumers", {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]})
    return {"ok": all(c["ok"] for c in checks.values()), "checks": checks,
            "consumers": sorted(consumers, key=lambda c: c["name"]), "dead_letters": dead_letters,
            "temporal_ui": state.settings.temporal.effective_ui_url}
