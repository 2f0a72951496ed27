"""Crashes and restarts of real processes: nothing acknowledged is lost, nothing is applied twice."""

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from cognitest.infra.bus.publisher import PublishFailed
from cognitest.infra.db import models as m
from cognitest.schemas import new_event
from cognitest.schemas.events.testing import CaseCreated
from tests.support.fault_report import FaultReport
from tests.support.stack import PlatformStack


def case_events(project_id: str, n: int, tag: str):  # type: ignore[no-untyped-def]
    return [new_event(CaseCreated(case_id=uuid.uuid4(), title=f"case {i}", tags=[tag]), project_id=project_id)
            for i in range(n)]


async def rows_with(stack: PlatformStack, tag: str) -> int:
    async with stack.sessions()() as session:
        return int(await session.scalar(select(func.count()).select_from(m.TestCase).where(m.TestCase.tags.contains([tag]))))


async def applied_records(stack: PlatformStack, events: list) -> list[str]:
    async with stack.sessions()() as session:
        return list(await session.scalars(
            select(m.AppliedEvent.event_id).where(m.AppliedEvent.event_id.in_([e.id for e in events]))))


@pytest.mark.slow
async def tally(stack: PlatformStack, tag: str, events: list) -> tuple[int, int, int]:  # type: ignore[type-arg]
    """(applied, duplicates, lost) for a burst, counted in PostgreSQL against what was sent."""
    rows = await rows_with(stack, tag)
    records = await applied_records(stack, events)
    duplicates = max(0, rows - len(events)) + len(records) - len(set(records))
    return min(rows, len(events)), duplicates, max(0, len(events) - rows)


@pytest.mark.slow
async def test_sigkill_consumer_mid_burst_applies_every_event_once(stack: PlatformStack, project: dict,
                                                                   fault_report: FaultReport) -> None:
    tag = f"kill-{uuid.uuid4().hex[:6]}"
    events = case_events(project["id"], 5000, tag)
    await stack.publisher.publish_many(events)
    # kill as soon as the projection is part-way through the burst
    for _ in range(500):
        if await rows_with(stack, tag) > 0:
            break
        await asyncio.sleep(0.005)
    stack.supervisor.kill("consumers")
    killed_at = await rows_with(stack, tag)
    await stack.supervisor.stop("consumers")
    assert killed_at < 5000, "the kill came too late to prove anything"
    restarted = asyncio.get_running_loop().time()
    await stack.start("consumers")
    await stack.wait_caught_up(timeout=90)
    applied, duplicates, lost = await tally(stack, tag, events)
    fault_report.add("SIGKILL consumers mid-burst", 5000, applied, duplicates, lost,
                     asyncio.get_running_loop().time() - restarted, f"killed at {killed_at} applied")
    assert (applied, duplicates, lost) == (5000, 0, 0)
    records = await applied_records(stack, events)
    assert len(records) == len(set(records)) == 5000


@pytest.mark.slow
async def test_nats_restart_loses_nothing_acknowledged(stack: PlatformStack, project: dict, fault_report: FaultReport) -> None:
    tag = f"restart-{uuid.uuid4().hex[:6]}"
    events = case_events(project["id"], 600, tag)
    acknowledged: list[str] = []
    refused: list = []

    async def producer() -> None:
        for event in events:
            try:
                await stack.publisher.publish(event)
                acknowledged.append(event.id)
            except PublishFailed:
                refused.append(event)  # a clear error: the producer knows to send it again
            await asyncio.sleep(0.002)

    task = asyncio.create_task(producer())
    await asyncio.sleep(0.4)
    await stack.restart("nats")
    restarted = asyncio.get_running_loop().time()
    await task
    assert acknowledged, "nothing was published before the restart"
    for event in refused:  # re-send what was refused; ids make this safe
        await stack.publisher.publish(event)
    await stack.wait_caught_up(timeout=90)
    stored = set(await applied_records(stack, events))
    applied, duplicates, lost = await tally(stack, tag, events)
    fault_report.add("restart nats-server while publishing", len(events), applied, duplicates, lost,
                     asyncio.get_running_loop().time() - restarted, f"{len(refused)} refused and re-sent")
    assert set(acknowledged) <= stored
    assert len(stored) == len(events)
    assert (applied, duplicates, lost) == (len(events), 0, 0)


@pytest.mark.slow
async def test_two_consumer_processes_share_the_work_without_doubles(stack: PlatformStack, project: dict,
                                                                    fault_report: FaultReport) -> None:
    """Scale out: a second consumers process joins the same durable consumers (queue semantics);
    a burst is split between them, nothing applied twice, nothing lost."""
    second = stack.spec("consumers")
    second.name = "consumers-2"
    await stack.supervisor.start(second)
    try:
        tag = f"scale-{uuid.uuid4().hex[:6]}"
        events = case_events(project["id"], 3000, tag)
        started = asyncio.get_running_loop().time()
        await stack.publisher.publish_many(events)
        await stack.wait_caught_up(timeout=90)
        applied, duplicates, lost = await tally(stack, tag, events)
        fault_report.add("two consumer processes share a burst", 3000, applied, duplicates, lost,
                         asyncio.get_running_loop().time() - started, "time = whole burst")
        assert await rows_with(stack, tag) == 3000
        records = await applied_records(stack, events)
        assert len(records) == len(set(records)) == 3000
        logs = "\n".join(stack.supervisor.running["consumers-2"].tail)
        assert "Traceback" not in logs
    finally:
        await stack.supervisor.stop("consumers-2")
