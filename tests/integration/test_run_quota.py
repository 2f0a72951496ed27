"""Per-project run quota: one project's runs wait for its slots while another project's run goes
ahead; leases are shared by every execution process through PostgreSQL and expire after a crash."""

import asyncio
import uuid
from datetime import datetime

import httpx

from cognitest.infra.run_quota import RunQuota
from tests.conftest import eventually
from tests.integration.test_execution import make_case, suite_of
from tests.support.demo_app import DemoApp
from tests.support.stack import PlatformStack

SLOW = [{"action": "request", "url": "/slow"}, {"action": "expect_status", "status": 200}]


async def new_project(api: httpx.AsyncClient, name: str, **settings: object) -> str:
    r = await api.post("/api/v1/projects", params={"wait": "true"}, json={"name": name, "settings": settings})
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def request_run(api: httpx.AsyncClient, pid: str, suite: str, demo: DemoApp) -> str:
    r = await api.post(f"/api/v1/projects/{pid}/runs", json={"suite_id": suite, "environment": {"base_url": demo.url}})
    assert r.status_code == 202, r.text
    return r.json()["resource_id"]


async def ended(api: httpx.AsyncClient, pid: str, run_id: str) -> dict:
    async def done():  # type: ignore[no-untyped-def]
        run = (await api.get(f"/api/v1/projects/{pid}/runs/{run_id}")).json()
        return run if run.get("status") in ("completed", "failed", "cancelled") else None
    return await eventually(done, timeout=120, interval=0.3)


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_a_project_at_its_limit_waits_while_another_project_runs(api: httpx.AsyncClient, demo: DemoApp) -> None:
    busy = await new_project(api, "Busy team", max_concurrent_runs=1)
    other = await new_project(api, "Other team")
    busy_suite, other_suite = await suite_of(api, busy, "Slow"), await suite_of(api, other, "Slow")
    await make_case(api, busy, busy_suite, "slow page", SLOW)
    await make_case(api, other, other_suite, "slow page", SLOW)
    first = await request_run(api, busy, busy_suite, demo)
    second = await request_run(api, busy, busy_suite, demo)
    theirs = await request_run(api, other, other_suite, demo)
    a1, a2, b1 = await ended(api, busy, first), await ended(api, busy, second), await ended(api, other, theirs)
    assert [a1["status"], a2["status"], b1["status"]] == ["completed"] * 3
    # the busy project never ran two at once, and its queue did not hold the other team back
    assert at(a2["started_at"]) >= at(a1["finished_at"]), (a1, a2)
    assert at(b1["started_at"]) < at(a1["finished_at"]), (a1, b1)


async def test_leases_are_shared_released_and_reclaimed_after_a_crash(stack: PlatformStack, api: httpx.AsyncClient) -> None:
    pid = uuid.UUID(await new_project(api, "Quota", max_concurrent_runs=2))
    mine = RunQuota(stack.sessions(), default_limit=0, ttl=1.0, holder="process-a")
    theirs = RunQuota(stack.sessions(), default_limit=0, ttl=1.0, holder="process-b")
    runs = [uuid.uuid4() for _ in range(4)]
    assert await mine.try_acquire(pid, runs[0]) and await theirs.try_acquire(pid, runs[1])
    assert not await mine.try_acquire(pid, runs[2])  # two held across both processes: the limit
    assert await mine.try_acquire(pid, runs[0])  # a run that holds a slot keeps it (a resumed run)
    await theirs.release(runs[1])
    assert await mine.try_acquire(pid, runs[2]) and await mine.running(pid) == 2
    await asyncio.sleep(0.6)
    await mine.renew([runs[2]])
    await asyncio.sleep(0.6)  # runs[0] was not renewed for 1.2 s: its holder is taken for crashed
    assert await theirs.try_acquire(pid, runs[3])
    assert await mine.running(pid) == 2
    unlimited = uuid.UUID(await new_project(api, "No quota"))
    assert all([await mine.try_acquire(unlimited, uuid.uuid4()) for _ in range(5)])  # default 0 = no limit
