"""Partial updates at scale-out: two or four projection processes take batches from one durable
consumer and commit them in any order. Every acknowledged update to a field must take effect,
whatever order its neighbours' updates to *other* fields were committed in."""

import asyncio
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

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
    table = {"project": m.Project, "plan": m.TestPlan, "suite": m.TestSuite, "case": m.TestCase, "issue": m.Issue,
             "collection": m.ApiCollection}[kind]
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


async def _partial_updates_at(stack: PlatformStack, project: dict, processes: int, cases: int) -> dict[str, int]:
    """`cases` cases, then for each a description update and a priority update published as two
    waves (so that the processes hold the two fields of one case in different batches), and a
    third wave of tags; all published at once and acknowledged by the stream."""
    pid = project["id"]
    extra = [f"projection-{i}" for i in range(2, processes + 1)]
    for name in extra:  # the stack's consumers process is the first projection process
        spec = platform_spec(name, "cognitest.consumers", stack.settings, "run", "--only", "projection")
        await stack.supervisor.start(spec)
    try:
        ids = [uuid.uuid4() for _ in range(cases)]
        await stack.publisher.publish_many([new_event(tst.CaseCreated(case_id=i, title=f"scale {n}"), project_id=pid)
                                            for n, i in enumerate(ids)])
        await stack.wait_caught_up(timeout=120)
        stamp = datetime.now(UTC).strftime("%H%M%S%f")
        gate = asyncio.Semaphore(32)

        async def three_writers(n: int, case_id: uuid.UUID) -> int:
            """Three clients change three fields of one case at the same moment, each publish on its
            own (small batches, taken by different processes at once: where the race lives)."""
            changes = [tst.CaseChanges(description=f"d-{stamp}-{n}"), tst.CaseChanges(priority=PRIORITIES[n % 4]),
                       tst.CaseChanges(tags=[f"t{n}"])]
            async def one(index: int, change: tst.CaseChanges) -> object:
                await asyncio.sleep(0.002 * index)  # as requests of three clients land: a few ms apart
                return await stack.publisher.publish(new_event(tst.CaseUpdated(case_id=case_id, changes=change),
                                                               project_id=pid))

            async with gate:
                acks = await asyncio.gather(*(one(k, c) for k, c in enumerate(changes)))
            return len(acks)

        acked = await asyncio.gather(*(three_writers(n, i) for n, i in enumerate(ids)))
        assert sum(acked) == 3 * cases
        await stack.wait_caught_up(timeout=180)
    finally:
        for name in extra:
            await stack.supervisor.stop(name)
    async with stack.sessions()() as session:
        rows = {r.id: r for r in await session.scalars(select(m.TestCase).where(m.TestCase.id.in_(ids)))}
    lost = {"description": 0, "priority": 0, "tags": 0}
    for n, i in enumerate(ids):
        row = rows[i]
        lost["description"] += row.description != f"d-{stamp}-{n}"
        lost["priority"] += row.priority != PRIORITIES[n % 4]
        lost["tags"] += row.tags != [f"t{n}"]
    return lost


@pytest.mark.slow
@pytest.mark.parametrize("processes", [2, 4])
async def test_no_acknowledged_partial_update_is_lost_with_several_projection_processes(
        stack: PlatformStack, project: dict, processes: int, fault_report) -> None:  # type: ignore[no-untyped-def]
    cases = 400
    lost = await _partial_updates_at(stack, project, processes, cases)
    fault_report.add(f"partial updates, {processes} projection processes", 3 * cases, 3 * cases - sum(lost.values()),
                     0, sum(lost.values()), 0.0, "three fields of each case, three waves at once")
    assert lost == {"description": 0, "priority": 0, "tags": 0}
