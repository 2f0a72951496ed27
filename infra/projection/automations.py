"""Projection of automations (definitions, executions and their steps) and of what triage adds
to issues (occurrences, reopening, tracker links)."""

from typing import Any

from sqlalchemy import Table, case, cast, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, array as pg_array, insert as pg_insert

from cognitest.infra.db import models as m
from cognitest.infra.projection.registry import handles
from cognitest.infra.projection.resources import issues, projects
from cognitest.infra.projection.tx import Tx
from cognitest.schemas import Envelope
from cognitest.schemas.automation.execution import execution_id_for

workflows: Table = m.Workflow.__table__  # type: ignore[assignment]
executions: Table = m.WorkflowExecution.__table__  # type: ignore[assignment]
versions: Table = m.WorkflowVersion.__table__  # type: ignore[assignment]
REOPENED = ("resolved", "closed")


@handles("workflow.defined")
async def workflow_defined(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(projects, event.project_id, event, scoped=False)
    d = event.data
    values = {"name": d.name, "description": d.description, "version": d.version, "graph": d.graph,
              "enabled": d.enabled}
    exists = (await tx.execute(select(workflows.c.id).where(workflows.c.id == d.workflow_id))).first()
    if exists is None:
        tx.insert(workflows, {"id": d.workflow_id, "project_id": event.project_id, **values,
                              "created_by": event.actor, "created_at": event.time, "updated_at": event.time,
                              "last_event_seq": seq})
    else:
        await tx.update_row(workflows, d.workflow_id, event, seq, values)
    await tx.flush()  # the version row refers to the automation's row
    await tx.execute(pg_insert(versions).values(
        workflow_id=d.workflow_id, version=d.version, name=d.name, description=d.description, graph=d.graph,
        enabled=d.enabled, created_by=event.actor, created_at=event.time).on_conflict_do_nothing())


@handles("workflow.run_requested")
async def workflow_run_requested(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(projects, event.project_id, event, scoped=False)
    d = event.data
    tx.insert(executions, {
        "id": execution_id_for(event.id), "project_id": event.project_id, "workflow_id": d.workflow_id,
        "trigger": d.trigger, "status": "requested", "input": d.input, "retry_of": d.retry_of,
        "started_at": event.time, "last_event_seq": seq,
    })


@handles("workflow.triggered")
async def workflow_triggered(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(projects, event.project_id, event, scoped=False)
    d = event.data
    tx.insert(executions, {
        "id": d.execution_id, "project_id": event.project_id, "workflow_id": d.workflow_id, "trigger": d.trigger,
        "status": "running", "input": d.input, "version": d.version, "started_at": event.time, "last_event_seq": seq,
    })
    await tx.execute(update(executions).where(executions.c.id == d.execution_id, executions.c.status == "requested")
                     .values(status="running", version=d.version, started_at=event.time, last_event_seq=seq))


@handles("workflow.step_finished")
async def workflow_step_finished(tx: Tx, event: Envelope[Any], seq: int) -> None:
    d = event.data
    step = d.model_dump(mode="json", exclude={"workflow_id", "execution_id"})
    status = "waiting" if d.status == "waiting" else "running"
    await tx.execute(
        update(executions)
        .where(executions.c.id == d.execution_id, executions.c.status.in_(("requested", "running", "waiting")))
        .values(steps=executions.c.steps.op("||")(cast([step], JSONB)), status=status)
    )


@handles("workflow.completed")
async def workflow_completed(tx: Tx, event: Envelope[Any], seq: int) -> None:
    d = event.data
    await tx.flush()
    await tx.execute(
        update(executions)
        .where(executions.c.id == d.execution_id, executions.c.last_event_seq < seq)
        .values(status=d.status.value, steps=d.steps, output=d.output, error=d.error, finished_at=event.time,
                last_event_seq=seq)
    )


@handles("issue.occurred")
async def issue_occurred(tx: Tx, event: Envelope[Any], seq: int) -> None:
    d = event.data
    await tx.require(issues, d.issue_id, event)
    run = [str(d.run_id)] if d.run_id else []
    c = issues.c
    # every case that failed this way is kept with the issue, so verifying a fix re-runs all of them
    cases = cast([str(d.case_id)] if d.case_id else [], JSONB)
    metadata = c["metadata"]
    known = func.coalesce(metadata["case_ids"], cast([], JSONB))
    case_ids = case((known.contains(cases), known), else_=known.op("||")(cases))
    await tx.execute(
        update(issues).where(c.id == d.issue_id, c.deleted_at.is_(None)).values(
            metadata=func.jsonb_set(metadata, pg_array(["case_ids"]), case_ids),
            occurrences=c.occurrences + 1,
            last_seen_at=func.greatest(c.last_seen_at, event.time),
            run_ids=case((c.run_ids.contains(cast(run, JSONB)), c.run_ids), else_=c.run_ids.op("||")(cast(run, JSONB))),
            status=case((c.status.in_(REOPENED), "open"), else_=c.status),
            resolved_at=case((c.status.in_(REOPENED), None), else_=c.resolved_at),
            updated_at=event.time,
        )
    )


@handles("issue.linked")
async def issue_linked(tx: Tx, event: Envelope[Any], seq: int) -> None:
    d = event.data
    await tx.require(issues, d.issue_id, event)
    link = {d.tracker: {"key": d.key, "url": d.url, **({"status": d.status} if d.status else {})}}
    await tx.execute(update(issues).where(issues.c.id == d.issue_id)
                     .values(external=issues.c.external.op("||")(cast(link, JSONB)), updated_at=event.time))


@handles("event.dead_lettered")
async def event_dead_lettered(tx: Tx, event: Envelope[Any], seq: int) -> None:
    """Nothing to project: the event log keeps the announcement (the audit trail), the dead-letter
    stream keeps the message, and the alerting consumer reacts to it."""
