"""Liveness and readiness."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from cognitest.infra.embedded.supervisor import read_status
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


async def _bus_details(state: AppState) -> dict[str, Any]:
    js = state.publisher.js
    stream = await js.stream_info(EVENTS_STREAM)
    consumers = [{"name": info.name, "pending": info.num_pending, "unacked": info.num_ack_pending,
                  "redelivered": info.num_redelivered, "waiting_pulls": info.num_waiting,
                  "last_delivered_seq": info.delivered.stream_seq if info.delivered else None}
                 for info in await js.consumers_info(EVENTS_STREAM)]
    dead_letters = (await js.stream_info(DLQ_STREAM)).state.messages
    leaderless = stream.cluster is not None and not stream.cluster.leader
    return {"consumers": consumers, "dead_letters": dead_letters, "leaderless": leaderless}


@router.get("/api/v1/status", summary="Health of every part and the lag of every consumer",
            description="Answers within about 3 seconds whatever is down: each check has its own deadline.")
async def status(state: State) -> dict[str, Any]:
    (checks, (_, bus)) = await asyncio.gather(_checks(state), _check("consumers", _bus_details(state)))
    if bus.get("leaderless"):  # a replicated stream electing a leader: writes are retried, then 503
        checks["nats"] = {"ok": False, "error": "the event stream has no leader (an election is under way)"}
    if not bus["ok"]:
        checks["consumers"] = {"ok": False, "error": bus["error"]}
    services = read_status(state.settings.data_dir)  # what `up` restarted (empty elsewhere)
    restarting = [name for name, s in services.items() if s.get("state") != "running"]
    if restarting:
        checks["services"] = {"ok": False, "error": f"restarting: {', '.join(sorted(restarting))}"}
    return {"ok": all(c["ok"] for c in checks.values()), "checks": checks,
            "consumers": sorted(bus.get("consumers", []), key=lambda c: c["name"]),
            "dead_letters": bus.get("dead_letters"), "services": services,
            "temporal_ui": state.settings.temporal.effective_ui_url}
