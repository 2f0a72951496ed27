"""Dedup, poison messages, dead letters and re-drive, against a real nats-server."""

import json
import uuid

import httpx
from sqlalchemy import func, select

from cognitest.infra.db import models as m
from cognitest.infra.projection import Incoming, apply_batch
from cognitest.schemas import new_event
from cognitest.schemas.events.testing import PlanCreated, PlanUpdated, PlanChanges
from cognitest.schemas.subjects import DLQ_STREAM, event_subject
from tests.conftest import eventually
from tests.support.stack import PlatformStack


async def count_plans(stack: PlatformStack, **where) -> int:
    async with stack.sessions()() as session:
        conditions = [getattr(m.TestPlan, k) == v for k, v in where.items()]
        return await session.scalar(select(func.count()).select_from(m.TestPlan).where(*conditions))


async def dead_letters(api: httpx.AsyncClient) -> list[dict]:
    return (await api.get("/api/v1/dead-letters", params={"limit": 1000})).json()["items"]


async def test_same_event_published_twice_is_one_row(stack: PlatformStack, project: dict) -> None:
    plan_id = uuid.uuid4()
    event = new_event(PlanCreated(plan_id=plan_id, name="twice"), project_id=project["id"])
    first = await stack.publisher.publish(event)
    second = await stack.publisher.publish(event)
    assert not first.duplicate and second.duplicate and second.seq == first.seq  # the stream dropped it

    # Outside the duplicate window the stream cannot help: publish the same event under another
    # message id; the projection's applied-event record still makes it a no-op.
    subject, body, headers = event_subject(event.subject, event.type), event.model_dump_json().encode(), {"Nats-Msg-Id": f"again-{event.id}"}
    await stack.publisher.js.publish(subject, body, headers=headers)
    await stack.wait_caught_up()
    assert await count_plans(stack, id=plan_id) == 1


async def test_event_redelivered_after_crash_changes_nothing(stack: PlatformStack, project: dict) -> None:
    """A consumer that committed and crashed before acking sees the event again: one row, and a
    later update is not rolled back by the late duplicate."""
    plan_id = uuid.uuid4()
    created = new_event(PlanCreated(plan_id=plan_id, name="v1"), project_id=project["id"])
    ack = await stack.publisher.publish(created)
    await stack.wait_caught_up()
    update = new_event(PlanUpdated(plan_id=plan_id, changes=PlanChanges(name="v2")), project_id=project["id"])
    update_ack = await stack.publisher.publish(update)
    await stack.wait_caught_up()
    # the crash-and-redeliver: the same events again, through the projector
    async with stack.sessions()() as session, session.begin():
        applied = await apply_batch(session, [Incoming(ack.seq, created), Incoming(update_ack.seq, update)])
    assert applied == []
    async with stack.sessions()() as session:
        row = await session.get(m.TestPlan, plan_id)
    assert row.name == "v2" and row.last_event_seq == update_ack.seq
    assert await count_plans(stack, id=plan_id) == 1


async def test_poison_messages_are_dead_lettered_and_the_next_is_processed(
    stack: PlatformStack, api: httpx.AsyncClient, project: dict
) -> None:
    pid = project["id"]
    nc = stack.publisher._nc  # noqa: SLF001
    js = stack.publisher.js
    garbage_subject = event_subject(pid, "plan.created")
    await js.publish(garbage_subject, b"\x00not json{", headers={"Nats-Msg-Id": str(uuid.uuid4())})
    missing_field = {"type": "plan.created", "subject": pid, "id": str(uuid.uuid4()), "data": {"plan_id": str(uuid.uuid4())}}
    await js.publish(garbage_subject, json.dumps(missing_field).encode(), headers={"Nats-Msg-Id": missing_field["id"]})
    unknown = {"type": "plan.exploded", "subject": pid, "id": str(uuid.uuid4()), "data": {}}
    await js.publish(event_subject(pid, "plan.exploded"), json.dumps(unknown).encode())
    good = new_event(PlanCreated(plan_id=uuid.uuid4(), name="after poison"), project_id=pid)
    await stack.publisher.publish(good)

    async def good_applied():
        return await count_plans(stack, id=good.data.plan_id) == 1
    await eventually(good_applied)

    async def three_letters():
        mine = [d for d in await dead_letters(api) if f".{pid}." in d["subject"]]
        return mine if len(mine) == 3 else None
    letters = await eventually(three_letters)
    reasons = " | ".join(d["reason"] for d in letters)
    assert "not valid JSON" in reasons
    assert "data.name: Field required" in reasons
    assert "unknown event type 'plan.exploded'" in reasons
    assert all(d["consumer"] == "projection" for d in letters)
    await nc.flush()


async def test_event_failing_until_its_project_exists_is_dead_lettered_then_redriven(
    stack: PlatformStack, api: httpx.AsyncClient
) -> None:
    """An event for a project that does not exist is retried with backoff, dead-lettered once
    deliveries run out (the consumer keeps going), and applies when re-driven after the fix."""
    pid = str(uuid.uuid4())
    orphan = new_event(PlanCreated(plan_id=uuid.uuid4(), name="early"), project_id=pid)
    await stack.publisher.publish(orphan)

    async def letter():
        found = [d for d in await dead_letters(api) if d["event_id"] == orphan.id]
        return found[0] if found else None
    entry = await eventually(letter, timeout=40)
    assert "gave up after 5 deliveries" in entry["reason"] and "does not exist" in entry["reason"]
    assert entry["delivered"] == 5

    created = await api.post("/api/v1/projects", params={"wait": "true"}, json={"name": "late", "project_id": pid})
    assert created.status_code == 201
    redriven = await api.post(f"/api/v1/dead-letters/{entry['seq']}/redrive")
    assert redriven.status_code == 200

    async def applied():
        r = await api.get(f"/api/v1/projects/{pid}/plans/{orphan.data.plan_id}")
        return r.status_code == 200
    await eventually(applied)
    assert entry["seq"] not in [d["seq"] for d in await dead_letters(api)]
    assert (await api.post(f"/api/v1/dead-letters/{entry['seq']}/redrive")).status_code == 404
    info = await stack.publisher.js.stream_info(DLQ_STREAM)
    assert info.state.messages == len(await dead_letters(api))
