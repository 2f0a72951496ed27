"""PostgreSQL away for 10-20 seconds in the middle of a burst: the consumers wait it out with
backoff (no tight loop), burn no deliveries (nothing dead-lettered), resume, and lose nothing."""

import asyncio
import json
import uuid

import httpx
import pytest

from tests.faults.test_crashes import case_events, tally
from tests.support.fault_report import FaultReport
from tests.support.stack import PlatformStack

OUTAGE_SECONDS = 12


@pytest.mark.slow
async def test_postgres_stopped_mid_burst_loses_nothing_and_burns_no_delivery(
        stack: PlatformStack, api: httpx.AsyncClient, project: dict, fault_report: FaultReport) -> None:
    tag = f"pg-{uuid.uuid4().hex[:6]}"
    events = case_events(project["id"], 3000, tag)
    letters_before = len((await api.get("/api/v1/dead-letters", params={"limit": 1000})).json()["items"])
    consumers = stack.supervisor.running["consumers"]
    consumers.watch("consumer.service_unavailable")
    waits_before = consumers.counts["consumer.service_unavailable"]
    await stack.publisher.publish_many(events[:1000])
    await stack.supervisor.stop("postgres")
    await stack.publisher.publish_many(events[1000:2990])  # the bus takes events while the database is away
    refused = await api.post("/api/v1/events", json=json.loads(events[2990].model_dump_json()))
    assert refused.status_code == 503 and "database is unavailable" in refused.json()["message"]  # not a 500
    read = await api.get(f"/api/v1/projects/{project['id']}/cases")
    assert read.status_code == 503
    await asyncio.sleep(OUTAGE_SECONDS)
    await stack.start("postgres")
    for event in events[2990:]:  # the API client retries what was refused (503 while PostgreSQL is still starting)
        for _ in range(60):
            r = await api.post("/api/v1/events", json=json.loads(event.model_dump_json()))
            if r.status_code != 503:
                break
            await asyncio.sleep(0.5)
        assert r.status_code == 202, r.text
    back = asyncio.get_running_loop().time()
    await stack.wait_caught_up(timeout=120)
    applied, duplicates, lost = await tally(stack, tag, events)
    recovered = asyncio.get_running_loop().time() - back
    waits = consumers.counts["consumer.service_unavailable"] - waits_before
    fault_report.add(f"PostgreSQL stopped {OUTAGE_SECONDS} s mid-burst", len(events), applied, duplicates, lost,
                     recovered, f"{waits} backoff waits logged")
    assert (applied, duplicates, lost) == (3000, 0, 0)
    letters = (await api.get("/api/v1/dead-letters", params={"limit": 1000})).json()["items"]
    assert len(letters) == letters_before, [d["reason"] for d in letters[letters_before:]]
    assert 0 < waits < 20 * 4, "consumers should back off (doubling delays), not spin"  # four consumers may wait
    for durable in ("projection", "automations", "alerting"):
        await stack.wait_caught_up(durable, timeout=120)
