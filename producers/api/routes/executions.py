"""Automation executions: list and read them (every step with input, output, duration, error),
follow the link to Temporal's UI, cancel, retry, and approve or reject a waiting approval."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import Field, StrictBool
from sqlalchemy import select
from temporalio.service import RPCError, RPCStatusCode

from cognitest.infra.db import models as m
from cognitest.infra.temporal import workflow_ui_link
from cognitest.producers.api.body import MAX_OFFSET, Body
from cognitest.producers.api.commands import accepted, envelope_for, publish
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.routes.nested import require_project
from cognitest.producers.api.state import AppState, actor_of, get_state
from cognitest.schemas.automation.execution import APPROVAL_SIGNAL, ApprovalDecision, execution_id_for
from cognitest.schemas.events.automations import WorkflowRunRequested

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/projects/{project_id}/executions", tags=["automations"])
ENDED = ("completed", "failed", "cancelled", "timed_out")


class ApprovalBody(Body):
    approved: StrictBool
    node: str | None = Field(default=None, description="the approval node; unset = the one waiting")
    comment: str | None = Field(default=None, max_length=2000)


def view(state: AppState, row: m.WorkflowExecution) -> dict[str, Any]:
    s = state.settings.temporal
    return jsonable_encoder({
        "id": row.id, "automation_id": row.workflow_id, "version": row.version, "trigger": row.trigger, "status": row.status,
        "input": row.input, "steps": row.steps, "output": row.output, "error": row.error, "retry_of": row.retry_of,
        "started_at": row.started_at, "finished_at": row.finished_at,
        "temporal_url": workflow_ui_link(s.effective_ui_url, s.namespace, row.id),
    })


async def load(state: AppState, project_id: UUID, execution_id: str) -> m.WorkflowExecution:
    async with state.sessions() as session:
        row = await session.get(m.WorkflowExecution, execution_id)
    if row is None or row.project_id != project_id:
        raise ApiError(404, f"execution {execution_id} not found")
    return row


@router.get("", summary="List automation executions, newest first")
async def list_executions(state: State, project_id: UUID, automation_id: UUID | None = None,
                          status: str | None = Query(None, pattern="^(requested|running|waiting|completed|failed|cancelled|timed_out)$"),
                          limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> dict[str, Any]:
    await require_project(state, project_id)
    q = select(m.WorkflowExecution).where(m.WorkflowExecution.project_id == project_id)
    if automation_id:
        q = q.where(m.WorkflowExecution.workflow_id == automation_id)
    if status:
        q = q.where(m.WorkflowExecution.status == status)
    async with state.sessions() as session:
        rows = list(await session.scalars(q.order_by(m.WorkflowExecution.started_at.desc()).limit(limit).offset(offset)))
    return {"items": [view(state, r) for r in rows], "limit": limit, "offset": offset}


@router.get("/{execution_id}", summary="An execution with its step log and a link to it in Temporal's UI")
async def show_execution(state: State, project_id: UUID, execution_id: str) -> dict[str, Any]:
    return view(state, await load(state, project_id, execution_id))


@router.post("/{execution_id}/cancel", status_code=202, summary="Cancel a running execution",
             description="Asks Temporal to cancel the workflow; it records the steps so far and ends as cancelled.")
async def cancel_execution(state: State, project_id: UUID, execution_id: str) -> dict[str, Any]:
    row = await load(state, project_id, execution_id)
    if row.status in ENDED:
        raise ApiError(409, f"execution {execution_id} has already ended ({row.status})")
    try:
        await (await state.temporal()).get_workflow_handle(execution_id).cancel()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(409, f"execution {execution_id} is not running") from None
        raise
    return {"id": execution_id, "cancel_requested": True}


@router.post("/{execution_id}/retry", status_code=202, summary="Run an ended execution again with the same input",
             description="Publishes workflow.run_requested for the same automation, trigger and input; the new "
                         "execution records which one it retries.")
async def retry_execution(request: Request, state: State, project_id: UUID, execution_id: str) -> JSONResponse:
    row = await load(state, project_id, execution_id)
    if row.status not in ENDED:
        raise ApiError(409, f"execution {execution_id} has not ended ({row.status})")
    if row.workflow_id is None:
        raise ApiError(409, f"execution {execution_id} belongs to no automation")
    payload = WorkflowRunRequested(workflow_id=row.workflow_id, trigger=row.trigger or "retry", input=row.input or {},
                                   retry_of=execution_id, version=row.version)
    event = envelope_for(request, state, payload, project_id)
    published, _ = await publish(state, event, wait=False)
    new_id = execution_id_for(event.id)
    return accepted(event, published, new_id, execution_id=new_id,
                    location=f"/api/v1/projects/{project_id}/executions/{new_id}")


@router.post("/{execution_id}/approval", status_code=202, summary="Approve or reject a waiting approval step")
async def approve(request: Request, state: State, project_id: UUID, execution_id: str, body: ApprovalBody) -> dict[str, Any]:
    row = await load(state, project_id, execution_id)
    if row.status in ENDED:
        raise ApiError(409, f"execution {execution_id} has already ended ({row.status})")
    decision = ApprovalDecision(node=body.node, approved=body.approved, by=actor_of(request), comment=body.comment)
    try:
        await (await state.temporal()).get_workflow_handle(execution_id).signal(APPROVAL_SIGNAL, decision)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(409, f"execution {execution_id} is not running") from None
        raise
    return {"id": execution_id, "approved": body.approved, "by": decision.by}
