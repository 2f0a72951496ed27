"""Projection of what happens around the resources: requirement documents, generations,
feedback, runs and their results, alerts."""

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from sqlalchemy import Table, cast, select, text, update
from sqlalchemy.dialects.postgresql import JSONB

from cognitest.infra.db import models as m
from cognitest.infra.projection.registry import handles
from cognitest.infra.projection.resources import projects
from cognitest.infra.projection.tx import Tx
from cognitest.schemas import Envelope

documents: Table = m.RequirementDocument.__table__  # type: ignore[assignment]
requirements: Table = m.Requirement.__table__  # type: ignore[assignment]
generations: Table = m.Generation.__table__  # type: ignore[assignment]
feedback: Table = m.Feedback.__table__  # type: ignore[assignment]
runs: Table = m.Run.__table__  # type: ignore[assignment]
results: Table = m.RunResult.__table__  # type: ignore[assignment]
alerts: Table = m.Alert.__table__  # type: ignore[assignment]



def derived_id(*parts: object) -> UUID:
    """A stable id for rows that events do not name (replay gives the same ids)."""
    return uuid5(NAMESPACE_URL, "cognitest:" + ":".join(str(p) for p in parts))


@handles("requirement.uploaded")
async def requirement_uploaded(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(projects, event.project_id, event, scoped=False)
    d = event.data
    tx.insert(documents, {
        "id": d.document_id, "project_id": event.project_id, "filename": d.filename, "media_type": d.media_type,
        "size_bytes": d.size_bytes, "sha256": d.sha256, "blob_ref": d.blob_ref, "status": "uploaded",
        "created_by": event.actor, "created_at": event.time, "updated_at": event.time, "last_event_seq": seq,
    })


@handles("requirement.parsed")
async def requirement_parsed(tx: Tx, event: Envelope[Any], seq: int) -> None:
    d = event.data
    if not await tx.update_row(documents, d.document_id, event, seq, {"status": "parsed"}):
        return
    for position, req in enumerate(d.requirements):
        tx.insert(requirements, {
            "id": derived_id(d.document_id, req.key), "project_id": event.project_id, "document_id": d.document_id,
            "key": req.key, "title": req.title, "text": req.text, "kind": req.kind.value,
            "priority": req.priority.value, "section": req.section, "created_at": event.time, "last_event_seq": seq,
            "line_start": req.lines[0] if req.lines else None, "line_end": req.lines[1] if req.lines else None,
            "position": position,
            "acceptance_criteria": [[s.model_dump() for s in scenario] for scenario in req.acceptance_criteria],
        })


@handles("requirement.rejected")
async def requirement_rejected(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.update_row(documents, event.data.document_id, event, seq, {"status": "rejected", "reason": event.data.reason})


@handles("generation.requested")
async def generation_requested(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(projects, event.project_id, event, scoped=False)
    tx.insert(generations, {
        "id": event.data.generation_id, "project_id": event.project_id, "status": "requested",
        "request": event.data.model_dump(mode="json"), "created_by": event.actor, "created_at": event.time,
        "updated_at": event.time, "last_event_seq": seq,
    })


@handles("generation.progress")
async def generation_progress(tx: Tx, event: Envelope[Any], seq: int) -> None:
    progress = event.data.model_dump(mode="json", exclude={"generation_id"})
    await tx.update_row(generations, event.data.generation_id, event, seq, {"status": "running", "progress": progress})


@handles("generation.completed")
async def generation_completed(tx: Tx, event: Envelope[Any], seq: int) -> None:
    result = event.data.model_dump(mode="json", exclude={"generation_id"})
    await tx.update_row(generations, event.data.generation_id, event, seq, {"status": "completed", "result": result})


@handles("generation.failed")
async def generation_failed(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.update_row(generations, event.data.generation_id, event, seq, {"status": "failed", "error": event.data.reason})


@handles("feedback.recorded")
async def feedback_recorded(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(projects, event.project_id, event, scoped=False)
    d = event.data.model_dump(mode="json")
    d["id"] = d.pop("feedback_id")
    tx.insert(feedback, {**d, "project_id": event.project_id, "created_by": event.actor, "created_at": event.time})


@handles("knowledge.reembed_requested")
async def knowledge_reembed_requested(tx: Tx, event: Envelope[Any], seq: int) -> None:
    """Nothing to project: the knowledge consumer does the work; the event log keeps the request."""
    await tx.require(projects, event.project_id, event, scoped=False)


@handles("run.requested")
async def run_requested(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(projects, event.project_id, event, scoped=False)
    d = event.data
    tx.insert(runs, {
        "id": d.run_id, "project_id": event.project_id, "name": d.name, "test_plan_id": d.plan_id,
        "test_suite_id": d.suite_id, "status": "requested", "source": "requested",
        "request": d.model_dump(mode="json"), "created_by": event.actor, "created_at": event.time,
        "updated_at": event.time, "last_event_seq": seq,
    })


@handles("run.cancel_requested")
async def run_cancel_requested(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(runs, event.data.run_id, event)
    await tx.execute(update(runs).where(runs.c.id == event.data.run_id)
                     .values(request=runs.c.request.op("||")(cast({"cancel_requested": True}, JSONB))))


@handles("run.started")
async def run_started(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.update_row(runs, event.data.run_id, event, seq, {
        "status": "running", "started_at": event.time, "totals": {"total": event.data.total_cases},
    })


@handles("run.case_finished")
async def run_case_finished(tx: Tx, event: Envelope[Any], seq: int) -> None:
    d = event.data
    await tx.require(runs, d.run_id, event)
    tx.insert(results, {
        "id": derived_id(event.id), "project_id": event.project_id, "run_id": d.run_id, "test_case_id": d.case_id,
        "key": " · ".join(p for p in (d.title, d.browser) if p) or None, "outcome": d.outcome.value, "duration_ms": d.duration_ms, "attempts": d.attempts,
        "error": d.error, "log": d.log, "artifacts": d.artifacts, "created_at": event.time,
    })
    await recount(tx, d.run_id)  # a manual result recorded after the automated part ended


# A run's totals from the latest result of each case (a manual case recorded later replaces its
# "manual" placeholder), and its status: still waiting while any case is left to do by hand.
# Only runs whose automated part has ended are recounted; a cancelled run keeps its verdict.
RECOUNT = text("""
UPDATE runs SET totals = agg.totals,
       status = CASE WHEN agg.manual > 0 THEN 'awaiting_manual' WHEN agg.bad > 0 THEN 'failed' ELSE 'completed' END
FROM (SELECT jsonb_build_object(
               'total', count(*), 'passed', count(*) FILTER (WHERE outcome = 'passed'),
               'failed', count(*) FILTER (WHERE outcome = 'failed'), 'errors', count(*) FILTER (WHERE outcome = 'error'),
               'skipped', count(*) FILTER (WHERE outcome = 'skipped'), 'flaky', count(*) FILTER (WHERE outcome = 'flaky'),
               'manual', count(*) FILTER (WHERE outcome = 'manual'),
               'unverified', count(*) FILTER (WHERE outcome = 'unverified'),
               'untested', count(*) FILTER (WHERE outcome = 'untested')) AS totals,
             count(*) FILTER (WHERE outcome = 'manual') AS manual,
             count(*) FILTER (WHERE outcome IN ('failed', 'error')) AS bad
      FROM (SELECT DISTINCT ON (test_case_id, key) outcome FROM run_results WHERE run_id = :run
            ORDER BY test_case_id, key, created_at DESC, id) AS latest) AS agg
WHERE runs.id = :run AND runs.status IN ('awaiting_manual', 'completed', 'failed') AND runs.source = 'requested'
""")


async def recount(tx: Tx, run_id: Any) -> None:
    # the row lock orders this with a concurrent projection process ending the run: whichever
    # commits second counts the other's results (without it, each could miss the other's)
    status = (await tx.execute(select(runs.c.status).where(runs.c.id == run_id).with_for_update())).scalar()
    if status in ("awaiting_manual", "completed", "failed"):  # a running run is counted when it ends
        await tx.execute(RECOUNT, {"run": run_id})


async def _run_finished(tx: Tx, event: Envelope[Any], seq: int, status: str) -> None:
    d = event.data
    if status != "cancelled" and d.totals.manual:
        status = "awaiting_manual"  # not done until every manual case is recorded
    await tx.update_row(runs, d.run_id, event, seq, {
        "status": status, "finished_at": event.time, "totals": d.totals.model_dump(),
        "duration_ms": getattr(d, "duration_ms", None), "reason": getattr(d, "reason", None),
    })
    if status != "cancelled":
        await recount(tx, d.run_id)  # results recorded by hand before the run's end count too


@handles("run.completed")
async def run_completed(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await _run_finished(tx, event, seq, "completed")


@handles("run.failed")
async def run_failed(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await _run_finished(tx, event, seq, "failed")


@handles("run.cancelled")
async def run_cancelled(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await _run_finished(tx, event, seq, "cancelled")


@handles("results.ingested")
async def results_ingested(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(projects, event.project_id, event, scoped=False)
    d = event.data
    tx.insert(runs, {
        "id": d.run_id, "project_id": event.project_id, "name": d.run_name, "status": "running",
        "source": "imported", "commit": d.commit, "branch": d.branch, "created_by": event.actor,
        "created_at": event.time, "updated_at": event.time, "started_at": event.time, "last_event_seq": 0,
    })
    for index, r in enumerate(d.results):
        tx.insert(results, {
            "id": derived_id(event.id, index), "project_id": event.project_id, "run_id": d.run_id,
            "test_case_id": r.case_id, "key": r.key, "outcome": r.outcome.value, "duration_ms": r.duration_ms,
            "attempts": 1, "error": r.message, "log": [], "artifacts": [], "created_at": event.time,
        })
    if d.last_batch:
        totals = d.totals.model_dump()
        status = "failed" if totals["failed"] or totals["errors"] else "completed"
        await tx.update_row(runs, d.run_id, event, seq, {"status": status, "totals": totals, "finished_at": event.time})


@handles("alert.sent")
async def alert_sent(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(projects, event.project_id, event, scoped=False)
    d = event.data.model_dump(mode="json")
    d["id"] = d.pop("alert_id")
    tx.insert(alerts, {**d, "project_id": event.project_id, "created_at": event.time})


@handles("token.created", "token.revoked", "security.scan.requested", "security.scan.finished")
async def audit_only(tx: Tx, event: Envelope[Any], seq: int) -> None:
    """Nothing to project: the token store and the security scanner keep their own state; the
    event log (and the audit view over applied events) keeps who did it."""
    await tx.require(projects, event.project_id, event, scoped=False)
