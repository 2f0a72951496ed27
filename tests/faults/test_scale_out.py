"""Partial updates at scale-out: two or four projection processes take batches from one durable
consumer and commit them in any order. Every acknowledged update to a field must take effect,
whatever order its neighbours' updates to *other* fields were committed in."""

import asyncio
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from cognitest.infra.db import models as m
from cognitest.infra.embedded.services import platform_spec
from cognitest.infra.projection import Incoming, apply_batch
from cognitest.schemas import new_event
from cognitest.schemas.events import collections as col, issues as iss, projects as prj, testing as tst
from tests.support.stack import PlatformStack

PRIORITIES = ["low", "medium", "high", "critical"]




@pytest.mark.parametrize("kind", ["project", "plan", "suite", "case", "issue", "collection"])
async def test_an_older_partial_update_committed_last_still_applies(stack: PlatformStack, project: dict, kind: str) -> None:
    """Deterministic: the newer update (another field) commits first, the older one second, as two
    projection processes can do. Both fields must end up set; a late duplicate rolls nothing back."""
    pid = uuid.UUID(project["id"])
    item = uuid.uuid4()
    base = 10**12 + uuid.uuid4().int % 10**9 * 100  # sequences far beyond the live stream's, unique per test
    create, older, newer, stale = {
        "project": (prj.ProjectCreated(project_id=item, name="p", owner_id="admin"),
                    prj.ProjectUpdated(project_id=item, changes=prj.ProjectChanges(description="older", settings={"a": 1})),
                    prj.ProjectUpdated(project_id=item, changes=prj.ProjectChanges(name="newer", settings={"b": 2})),
                    prj.ProjectUpdated(project_id=item, changes=prj.ProjectChanges(name="stale", settings={"b": 0}))),
        "plan": (tst.PlanCreated(plan_id=item, name="p"),
                 tst.PlanUpdated(plan_id=item, changes=tst.PlanChanges(description="older")),
                 tst.PlanUpdated(plan_id=item, changes=tst.PlanChanges(name="newer")),
                 tst.PlanUpdated(plan_id=item, changes=tst.PlanChanges(name="stale"))),
        "suite": (tst.SuiteCreated(suite_id=item, name="s"),
                  tst.SuiteUpdated(suite_id=item, changes=tst.SuiteChanges(description="older")),
                  tst.SuiteUpdated(suite_id=item, changes=tst.SuiteChanges(name="newer")),
                  tst.SuiteUpdated(suite_id=item, changes=tst.SuiteChanges(name="stale"))),
        "case": (tst.CaseCreated(case_id=item, title="c"),
                 tst.CaseUpdated(case_id=item, changes=tst.CaseChanges(description="older")),
                 tst.CaseUpdated(case_id=item, changes=tst.CaseChanges(title="newer", priority="critical")),
                 tst.CaseUpdated(case_id=item, changes=tst.CaseChanges(title="stale", priority="low"))),
        "issue": (iss.IssueCreated(issue_id=item, title="i"),
                  iss.IssueUpdated(issue_id=item, changes=iss.IssueChanges(description="older")),
                  iss.IssueUpdated(issue_id=item, changes=iss.IssueChanges(title="newer")),
                  iss.IssueUpdated(issue_id=item, changes=iss.IssueChanges(title="stale"))),
        "collection": (col.CollectionCreated(collection_id=item, name="c"),
                       col.CollectionUpdated(collection_id=item, changes=col.CollectionChanges(description="older")),
                       col.CollectionUpdated(collection_id=item, changes=col.CollectionChanges(name="newer")),
                       col.CollectionUpdated(collection_id=item, changes=col.CollectionChanges(name="stale"))),
    }[kind]
    subject = item if kind == "project" else pid
    events = [new_event(p, project_id=subject) for p in (create, older, newer, stale)]
    table = KINDS[kind][0]
    # batches applied one after another, as two processes commit them; rolled back at the end, so
    # these made-up stream sequences never reach the read models other tests replay
    async with stack.sessions()() as session:
        transaction = await session.begin()
        try:
            await apply_batch(session, [Incoming(base + 1, events[0])])
            await apply_batch(session, [Incoming(base + 3, events[2])])  # the newer update commits first
            await apply_batch(session, [Incoming(base + 2, events[1])])  # then the older one, to another field
            await apply_batch(session, [Incoming(base + 2, events[3])])  # a stale update to the same field
            row = SimpleNamespace(**(await session.execute(select(table.__table__).where(table.id == item))).mappings().one())
        finally:
            await transaction.rollback()
    assert row.description == "older"
    assert getattr(row, "title" if kind in ("case", "issue") else "name") == "newer"
    if kind == "case":
        assert row.priority == "critical"
    if kind == "project":
        assert row.settings == {"a": 1, "b": 2}
    assert row.last_event_seq == base + 3


# For each resource that takes partial updates: how to create one, and three fields three clients
# change at once (each a (changes, value read back) pair built from the item's number).
KINDS: dict[str, Any] = {
    "project": (m.Project, lambda i, n: prj.ProjectCreated(project_id=i, name=f"p{n}", owner_id="admin"),
                lambda i, c: prj.ProjectUpdated(project_id=i, changes=prj.ProjectChanges(**c)),
                [("description", lambda n: f"d{n}"), ("status", lambda n: ["active", "archived"][n % 2]),
                 ("team_ids", lambda n: [f"t{n}"])]),
    "plan": (m.TestPlan, lambda i, n: tst.PlanCreated(plan_id=i, name=f"p{n}"),
             lambda i, c: tst.PlanUpdated(plan_id=i, changes=tst.PlanChanges(**c)),
             [("description", lambda n: f"d{n}"), ("name", lambda n: f"renamed {n}"), ("tags", lambda n: [f"t{n}"])]),
    "suite": (m.TestSuite, lambda i, n: tst.SuiteCreated(suite_id=i, name=f"s{n}"),
              lambda i, c: tst.SuiteUpdated(suite_id=i, changes=tst.SuiteChanges(**c)),
              [("description", lambda n: f"d{n}"), ("name", lambda n: f"renamed {n}"), ("tags", lambda n: [f"t{n}"])]),
    "case": (m.TestCase, lambda i, n: tst.CaseCreated(case_id=i, title=f"scale {n}"),
             lambda i, c: tst.CaseUpdated(case_id=i, changes=tst.CaseChanges(**c)),
             [("description", lambda n: f"d{n}"), ("priority", lambda n: PRIORITIES[n % 4]), ("tags", lambda n: [f"t{n}"])]),
    "issue": (m.Issue, lambda i, n: iss.IssueCreated(issue_id=i, title=f"i{n}"),
              lambda i, c: iss.IssueUpdated(issue_id=i, changes=iss.IssueChanges(**c)),
              [("description", lambda n: f"d{n}"), ("severity", lambda n: ["low", "high"][n % 2]), ("tags", lambda n: [f"t{n}"])]),
    "collection": (m.ApiCollection, lambda i, n: col.CollectionCreated(collection_id=i, name=f"c{n}"),
                   lambda i, c: col.CollectionUpdated(collection_id=i, changes=col.CollectionChanges(**c)),
                   [("description", lambda n: f"d{n}"), ("name", lambda n: f"renamed {n}"), ("tags", lambda n: [f"t{n}"])]),
}


async def _partial_updates_at(stack: PlatformStack, project: dict, processes: int, count: int) -> dict[str, int]:
    """`count` items of every kind, then three clients change three fields of each item at the same
    moment, each publish on its own (small batches, taken by different processes at once: where the
    race lives). Returns the updates lost, per kind."""
    pid = project["id"]
    extra = [f"projection-{i}" for i in range(2, processes + 1)]
    for name in extra:  # the stack's consumers process is the first projection process
        spec = platform_spec(name, "cognitest.consumers", stack.settings, "run", "--only", "projection")
        await stack.supervisor.start(spec)
    # fewer projects: each new project also starts its bootstrap workflow
    items = {kind: [uuid.uuid4() for _ in range(20 if kind == "project" else count)] for kind in KINDS}
    try:
        creates = [new_event(KINDS[kind][1](i, n), project_id=i if kind == "project" else pid)
                   for kind, ids in items.items() for n, i in enumerate(ids)]
        await stack.publisher.publish_many(creates)
        await stack.wait_caught_up(timeout=120)
        gate = asyncio.Semaphore(32)

        async def three_writers(kind: str, n: int, item: uuid.UUID) -> int:
            _table, _create, update, fields = KINDS[kind]

            async def one(index: int, field: str, value: Any) -> object:
                await asyncio.sleep(0.002 * index)  # as requests of three clients land: a few ms apart
                return await stack.publisher.publish(new_event(update(item, {field: value}),
                                                               project_id=item if kind == "project" else pid))

            async with gate:
                acks = await asyncio.gather(*(one(k, f, make(n)) for k, (f, make) in enumerate(fields)))
            return len(acks)

        acked = await asyncio.gather(*(three_writers(kind, n, i) for kind, ids in items.items() for n, i in enumerate(ids)))
        assert sum(acked) == 3 * sum(len(ids) for ids in items.values())
        await stack.wait_caught_up(timeout=180)
    finally:
        for name in extra:
            await stack.supervisor.stop(name)
    lost: dict[str, int] = {}
    async with stack.sessions()() as session:
        for kind, ids in items.items():
            table, _create, _update, fields = KINDS[kind]
            rows = {r.id: r for r in await session.scalars(select(table).where(table.id.in_(ids)))}
            lost[kind] = sum(getattr(rows[i], field) != make(n) for n, i in enumerate(ids) for field, make in fields)
    return lost


@pytest.mark.slow
@pytest.mark.parametrize("processes", [2, 4])
async def test_no_acknowledged_partial_update_is_lost_with_several_projection_processes(
        stack: PlatformStack, project: dict, processes: int, fault_report) -> None:  # type: ignore[no-untyped-def]
    count = 100
    lost = await _partial_updates_at(stack, project, processes, count)
    total = 3 * (count * (len(KINDS) - 1) + 20)
    fault_report.add(f"partial updates, {processes} projection processes", total, total - sum(lost.values()),
                     0, sum(lost.values()), 0.0, "3 fields of 100 plans, suites, cases, issues, collections and 20 projects, 3 writers at once")
    assert lost == {kind: 0 for kind in KINDS}
