"""Replay equals live; invalid events at the API; live events over SSE; readiness; Temporal."""

import asyncio
import json
import uuid

import httpx
from sqlalchemy import text

from cognitest.infra.bus.auth import connect_options
from cognitest.infra.db import models as m
from cognitest.infra.db.engine import make_engine
from cognitest.infra.projection.replay import replay
from cognitest.infra.temporal import connect_temporal
from cognitest.schemas.subjects import EVENTS_STREAM
from cognitest.schemas.workflows import BootstrapResult, bootstrap_workflow_id
from tests.conftest import bootstrapped, eventually
from tests.support.stack import PlatformStack


async def snapshot(url: str) -> dict[str, list]:
    engine = make_engine(url, pool_size=1)
    try:
        out = {}
        async with engine.connect() as conn:
            for table in m.Base.metadata.sorted_tables:
                if table.name == "deliveries":  # the outbound side-effect ledger, not a read model
                    continue
                columns = [c.name for c in table.columns if c.name != "applied_at"]
                rows = await conn.execute(text(f"SELECT {', '.join(columns)} FROM {table.name}"))
                out[table.name] = sorted(json.dumps(list(r), default=str, sort_keys=True) for r in rows)
        return out
    finally:
        await engine.dispose()


async def test_replay_into_an_empty_database_equals_live(stack: PlatformStack, api: httpx.AsyncClient, project: dict) -> None:
    pid = project["id"]
    plan = (await api.post(f"/api/v1/projects/{pid}/plans", params={"wait": "true"}, json={"name": "P"})).json()
    suite = (await api.post(f"/api/v1/projects/{pid}/suites", params={"wait": "true"}, json={"name": "S", "plan_id": plan["id"]})).json()
    case = (await api.post(f"/api/v1/projects/{pid}/cases", params={"wait": "true"}, json={"title": "C", "suite_id": suite["id"]})).json()
    await api.patch(f"/api/v1/projects/{pid}/cases/{case['id']}", params={"wait": "true"}, json={"priority": "critical"})
    await api.post(f"/api/v1/projects/{pid}/issues", params={"wait": "true"}, json={"title": "I", "related_test_case_id": case["id"]})
    await api.delete(f"/api/v1/projects/{pid}/plans/{plan['id']}", params={"wait": "true"})
    # the project's bootstrap workflow publishes its events after the consumer acknowledged the
    # request: wait for them, or they land on the stream while the replay reads it
    await bootstrapped(api, pid)
    await stack.wait_caught_up()
    await stack.wait_caught_up("project-bootstrap")
    await asyncio.sleep(0.5)
    await stack.wait_caught_up()

    live_url = stack.settings.database.effective_url
    for _ in range(3):  # another test's late workflow may still publish: compare over a quiet replay
        before = (await stack.publisher.js.stream_info(EVENTS_STREAM)).state.last_seq
        replica_url = live_url.rsplit("/", 1)[0] + f"/replay_{uuid.uuid4().hex[:8]}"
        report = await replay(stack.settings.nats.effective_url, replica_url,
                              auth=connect_options(stack.settings, "admin"))
        info = await stack.publisher.js.stream_info(EVENTS_STREAM)
        await stack.wait_caught_up()
        if info.state.last_seq == before:
            break
    assert report.last_seq == info.state.last_seq and report.applied > 0
    live, replica = await snapshot(live_url), await snapshot(replica_url)
    assert live.keys() == replica.keys()
    for table in live:
        assert live[table] == replica[table], f"{table} differs after replay"


async def test_invalid_events_are_refused_and_nothing_is_published(stack: PlatformStack, api: httpx.AsyncClient, project: dict) -> None:
    await bootstrapped(api, project["id"])
    await stack.wait_caught_up()
    before = (await stack.publisher.js.stream_info(EVENTS_STREAM)).state.last_seq
    pid = project["id"]
    cases = [
        ({"type": "plan.teleported", "subject": pid, "data": {}}, 422, "unknown event type"),
        ({"type": "plan.created", "subject": pid, "data": {"plan_id": str(uuid.uuid4())}}, 422, "data.name"),
        ({"type": "plan.created", "subject": pid, "data": {"plan_id": "not-a-uuid", "name": "x"}}, 422, "data.plan_id"),
        ({"type": "case.created", "subject": pid, "data": {"case_id": str(uuid.uuid4()), "title": "t", "priority": 5}}, 422, "priority"),
        ({"type": "plan.created", "subject": "not-a-project", "data": {"plan_id": str(uuid.uuid4()), "name": "x"}}, 422, "subject"),
        ({"subject": pid, "data": {}}, 422, "type"),
        ({"type": "plan.created", "subject": str(uuid.uuid4()), "data": {"plan_id": str(uuid.uuid4()), "name": "x"}}, 404, "not found"),
    ]
    for body, status, words in cases:
        response = await api.post("/api/v1/events", json=body)
        assert response.status_code == status, (body, response.text)
        err = response.json()
        assert words in err["message"] and err["request_id"] and "Traceback" not in response.text
    not_json = await api.post("/api/v1/events", content=b"{oops", headers={"content-type": "application/json"})
    assert not_json.status_code == 422 and not_json.json()["error"] == "invalid"
    huge = {"type": "plan.created", "subject": pid, "data": {"plan_id": str(uuid.uuid4()), "name": "x", "description": "y" * 2_000_000}}
    too_big = await api.post("/api/v1/events", json=huge)
    assert too_big.status_code == 413 and "bytes" in too_big.json()["message"]
    assert (await stack.publisher.js.stream_info(EVENTS_STREAM)).state.last_seq == before

    ok = await api.post("/api/v1/events", params={"wait": "true"},
                        json={"type": "plan.created", "subject": pid, "actor": "mallory",
                              "data": {"plan_id": str(uuid.uuid4()), "name": "via events"}})
    assert ok.status_code == 200 and ok.json()["applied"] is True
    plans = (await api.get(f"/api/v1/projects/{pid}/plans", params={"q": "via events"})).json()["items"]
    assert plans[0]["created_by"] == "admin"  # the authenticated caller, not what the body claimed


async def test_sse_streams_one_projects_events(stack: PlatformStack, api: httpx.AsyncClient, project: dict) -> None:
    pid = project["id"]
    received: list[dict] = []
    # start at the next sequence, so no event is missed however long the subscription takes to open
    since = (await stack.publisher.js.stream_info(EVENTS_STREAM)).state.last_seq + 1

    async def listen() -> None:
        async with stack.client(timeout=None) as client:
            async with client.stream("GET", "/api/v1/events/stream",
                                     params={"project": pid, "type": "plan.*", "since": since}) as response:
                assert response.status_code == 200
                async for line in response.aiter_lines():
                    if line.startswith("data: "):
                        received.append(json.loads(line[6:]))
                        if len(received) == 2:
                            return

    task = asyncio.create_task(listen())
    await asyncio.sleep(0.5)
    other = (await api.post("/api/v1/projects", params={"wait": "true"}, json={"name": "other"})).json()
    await api.post(f"/api/v1/projects/{other['id']}/plans", json={"name": "elsewhere"})
    await api.post(f"/api/v1/projects/{pid}/suites", json={"name": "not a plan"})
    plan = (await api.post(f"/api/v1/projects/{pid}/plans", params={"wait": "true"}, json={"name": "mine"})).json()
    assert (await api.patch(f"/api/v1/projects/{pid}/plans/{plan['id']}", json={"name": "mine2"})).status_code == 202
    await asyncio.wait_for(task, 15)
    assert [e["type"] for e in received] == ["plan.created", "plan.updated"]
    assert all(e["subject"] == pid for e in received)


async def test_readyz_and_bootstrap_workflow_visible_in_temporal(stack: PlatformStack, api: httpx.AsyncClient, project: dict) -> None:
    ready = (await api.get("/readyz")).json()
    assert ready["status"] == "ready" and set(ready["checks"]) == {"nats", "postgres", "temporal"}

    async def default_suites():
        items = (await api.get(f"/api/v1/projects/{project['id']}/suites")).json()["items"]
        return sorted(s["name"] for s in items) if len(items) == 3 else None
    assert await eventually(default_suites) == ["Imported", "Regression", "Smoke"]
    client = await connect_temporal(stack.settings)
    handle = client.get_workflow_handle(bootstrap_workflow_id(project["id"]), result_type=BootstrapResult)
    result = await handle.result()
    assert set(result.suites) == {"Smoke", "Regression", "Imported"} and len(result.published) == 4
    assert (await handle.describe()).status.name == "COMPLETED"
