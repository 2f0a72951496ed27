"""Poison of every kind straight onto the bus, and load: 50 concurrent API clients publishing for
60 seconds while the consumers process is restarted: zero 5xx, zero lost, p99 reported."""

import asyncio
import json
import statistics
import time
import uuid

import httpx
import pytest

from cognitest.schemas import new_event
from cognitest.schemas.events.testing import CaseCreated
from cognitest.schemas.subjects import event_subject
from tests.conftest import bootstrapped, eventually
from tests.faults.test_crashes import rows_with
from tests.support.fake_services import FakeServices
from tests.support.fault_report import FaultReport
from tests.support.stack import PlatformStack

CLIENTS = 50
SECONDS = 60


async def test_poison_of_every_kind_is_dead_lettered_without_holding_back_good_events(
        stack: PlatformStack, api: httpx.AsyncClient, project: dict, outside: FakeServices, fault_report: FaultReport) -> None:
    pid, token = project["id"], uuid.uuid4().hex[:8]
    await bootstrapped(api, pid)
    rules = [{"name": "ops", "channel": "slack", "target": f"{outside.url}/slack/{token}", "events": ["event.dead_lettered"]}]
    await api.patch(f"/api/v1/projects/{pid}", params={"wait": "true"}, json={"settings": {"notifications": {"rules": rules}}})
    js = stack.publisher.js
    tag = f"good-{uuid.uuid4().hex[:6]}"
    subject = event_subject(pid, "case.created")
    # a case in a suite that never comes: retried with backoff, then given up
    always_raises = new_event(CaseCreated(case_id=uuid.uuid4(), title="orphan", suite_id=uuid.uuid4()), project_id=pid)
    # text PostgreSQL can never store (the API refuses it; a raw publisher may not): dead-lettered at once
    nul_inside = json.loads(new_event(CaseCreated(case_id=uuid.uuid4(), title="nul"), project_id=pid).model_dump_json())
    nul_inside["data"]["description"] = "nul \x00 inside"
    poison = {
        "invalid JSON": (subject, b"{\"type\": nope"),
        "wrong schema": (subject, json.dumps({"type": "case.created", "subject": pid, "id": str(uuid.uuid4()),
                                              "data": {"case_id": "not-a-uuid"}}).encode()),
        "unknown type": (event_subject(pid, "case.teleported"), json.dumps({"type": "case.teleported", "subject": pid,
                                                                            "id": str(uuid.uuid4()), "data": {}}).encode()),
        "subject mismatch": (event_subject(str(uuid.uuid4()), "case.created"), always_raises.model_dump_json().encode()),
        "a handler that always raises": (subject, always_raises.model_dump_json().encode()),
        "NUL in text": (subject, json.dumps(nul_inside).encode()),
    }
    good = [new_event(CaseCreated(case_id=uuid.uuid4(), title=f"good {i}", tags=[tag]), project_id=pid) for i in range(2000)]
    started = time.monotonic()
    for i, (_, (subj, data)) in enumerate(poison.items()):
        await js.publish(subj, data, headers={"Nats-Msg-Id": f"poison-{uuid.uuid4()}"})
        await stack.publisher.publish_many(good[i * 334:(i + 1) * 334])

    async def all_good():
        return await rows_with(stack, tag) == len(good)
    await eventually(all_good, timeout=60)
    good_seconds = time.monotonic() - started

    async def letters():
        items = (await api.get("/api/v1/dead-letters", params={"limit": 1000})).json()["items"]
        mine = [d for d in items if d["consumer"] == "projection" and (f".{pid}." in d["subject"] or pid in d.get("data", ""))
                and d["seq"]]
        return mine if len(mine) >= len(poison) else None
    found = await eventually(letters, timeout=60)
    reasons = " | ".join(d["reason"] for d in found)
    for words in ("not valid JSON", "data.case_id", "unknown event type 'case.teleported'", "does not match",
                  "gave up after", "0x00"):
        assert words in reasons, reasons
    nul = next(d for d in found if "0x00" in d["reason"])
    assert nul["delivered"] == 1, nul  # never retried as if the database were away
    async def alerted():  # each dead letter of this project raised an alert, the slow one included
        texts = [m.body["text"] for m in outside.at(f"/slack/{token}")]
        return texts if len(texts) >= 4 and any("gave up after" in t for t in texts) else None
    texts = await eventually(alerted, timeout=60)
    assert any("projection consumer dead-lettered a case.created event" in t and "gave up after" in t for t in texts), texts
    assert any("unknown event type" in t for t in texts) and any("not valid JSON" in t for t in texts), texts
    fault_report.add("poison of 6 kinds among 2,000 good events", len(good) + len(poison), await rows_with(stack, tag),
                     0, len(good) - await rows_with(stack, tag), good_seconds, f"{len(found)} dead-lettered with reasons")


@pytest.mark.slow
async def test_fifty_clients_for_a_minute_with_a_consumer_restart(stack: PlatformStack, project: dict,
                                                                  fault_report: FaultReport) -> None:
    pid, tag = project["id"], f"load-{uuid.uuid4().hex[:6]}"
    accepted: list[str] = []
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + SECONDS

    async def client(n: int) -> None:
        async with stack.client() as http:
            i = 0
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    r = await http.post(f"/api/v1/projects/{pid}/cases", json={"title": f"load {n}-{i}", "tags": [tag]})
                except httpx.HTTPError as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                latencies.append(time.perf_counter() - started)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                if r.status_code == 202:
                    accepted.append(r.json()["resource_id"])
                i += 1
                await asyncio.sleep(0.05)

    async def restart_consumers() -> float:
        await asyncio.sleep(SECONDS / 2)
        began = time.monotonic()
        await stack.restart("consumers")
        return time.monotonic() - began

    results = await asyncio.gather(*[client(n) for n in range(CLIENTS)], restart_consumers())
    restart_seconds = results[-1]
    caught_up = time.monotonic()
    await stack.wait_caught_up(timeout=180)
    applied = await rows_with(stack, tag)
    for durable in ("automations", "alerting"):  # the watchers see every event too: leave no backlog behind
        await stack.wait_caught_up(durable, timeout=300)
    ordered = sorted(latencies)
    p50, p99 = statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]
    fault_report.add(f"{CLIENTS} API clients x {SECONDS} s + consumer restart", len(accepted), applied, max(0, applied - len(accepted)),
                     max(0, len(accepted) - applied), time.monotonic() - caught_up,
                     f"{len(accepted) / SECONDS:.0f} req/s, p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, restart {restart_seconds:.1f} s")
    assert not [s for s in statuses if s >= 500], statuses
    assert not errors, errors[:5]
    assert statuses.get(202) == len(accepted) > CLIENTS * 10
    assert applied == len(accepted)
