"""Automations: graphs saved as versioned definitions (workflow.defined), starter templates,
manual runs (workflow.run_requested) and the operations on an automation's schedule."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import Field, StrictBool
from sqlalchemy import select

from cognitest.infra.automations.definitions import validate
from cognitest.infra.automations.schedules import ScheduleMissing, schedule_action
from cognitest.infra.automations.templates import TEMPLATES, MissingParameter, instantiate
from cognitest.infra.identity.crypto import mask_document, restore_masked, seal_document
from cognitest.infra.db import models as m
from cognitest.producers.api.body import MAX_OFFSET, Body, IsoDateTime
from cognitest.producers.api.commands import accepted, envelope_for, new_resource_id, publish, wants_wait
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.routes.nested import require_project
from cognitest.producers.api.state import AppState, get_state
from cognitest.schemas.automation.execution import execution_id_for
from cognitest.schemas.automation.graph import GraphInvalid
from cognitest.schemas.events.automations import WorkflowDefined, WorkflowRunRequested

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/projects/{project_id}/automations", tags=["automations"])
templates_router = APIRouter(prefix="/api/v1/automation-templates", tags=["automations"])
WAIT_DOC = "With ?wait=true the answer comes once the definition is readable (201/200 with it)."


class AutomationBody(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)
    graph: dict[str, Any] | None = Field(default=None, description="nodes and edges; or give a template")
    template: str | None = Field(default=None, description="instantiate a starter template instead of a graph")
    params: dict[str, str] = Field(default_factory=dict, description="the template's parameters")
    enabled: StrictBool = True


class AutomationChanges(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)
    graph: dict[str, Any] | None = None
    enabled: StrictBool | None = None


class RunBody(Body):
    input: dict[str, Any] = Field(default_factory=dict, description="what the manual trigger gives the graph")


class BackfillBody(Body):
    start: IsoDateTime
    end: IsoDateTime


def problems_error(exc: GraphInvalid) -> ApiError:
    return ApiError(422, f"invalid automation graph: {exc}", [p.model_dump() for p in exc.problems])


def checked(graph: Any) -> dict[str, Any]:
    try:
        return validate(graph).model_dump(exclude_none=True)
    except GraphInvalid as exc:
        raise problems_error(exc) from None


def view(row: m.Workflow) -> dict[str, Any]:
    triggers = [n.get("type") for n in (row.graph or {}).get("nodes", []) if str(n.get("type", "")).startswith("trigger.")]
    return jsonable_encoder({"id": row.id, "name": row.name, "description": row.description, "version": row.version,
                             "enabled": row.enabled, "graph": mask_document(row.graph or {}), "triggers": triggers,
                             "created_by": row.created_by, "created_at": row.created_at, "updated_at": row.updated_at})


async def load(state: AppState, project_id: UUID, automation_id: UUID) -> m.Workflow:
    async with state.sessions() as session:
        row = await session.get(m.Workflow, automation_id)
    if row is None or row.project_id != project_id:
        raise ApiError(404, f"automation {automation_id} not found")
    return row


async def _define(request: Request, state: AppState, project_id: UUID, payload: WorkflowDefined, created: bool) -> JSONResponse:
    event = envelope_for(request, state, payload, project_id)
    published, applied = await publish(state, event, wait=wants_wait(request))
    if applied:
        return JSONResponse(view(await load(state, project_id, payload.workflow_id)), status_code=201 if created else 200)
    return accepted(event, published, payload.workflow_id, version=payload.version,
                    location=f"/api/v1/projects/{project_id}/automations/{payload.workflow_id}")


@templates_router.get("", summary="List the starter automation templates")
async def list_templates() -> dict[str, Any]:
    return {"items": [{"name": t.name, "title": t.title, "description": t.description, "params": t.params}
                      for t in TEMPLATES.values()]}


@router.get("", summary="List the project's automations")
async def list_automations(state: State, project_id: UUID, limit: int = Query(50, ge=1, le=500),
                           offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> dict[str, Any]:
    await require_project(state, project_id)
    async with state.sessions() as session:
        rows = list(await session.scalars(select(m.Workflow).where(m.Workflow.project_id == project_id)
                                          .order_by(m.Workflow.created_at.desc()).limit(limit).offset(offset)))
    return {"items": [view(r) for r in rows], "limit": limit, "offset": offset}


@router.get("/{automation_id}", summary="Show an automation (its latest version)")
async def show_automation(state: State, project_id: UUID, automation_id: UUID) -> dict[str, Any]:
    return view(await load(state, project_id, automation_id))


@router.get("/{automation_id}/versions", summary="Every saved version of an automation, newest first")
async def list_versions(state: State, project_id: UUID, automation_id: UUID) -> dict[str, Any]:
    await load(state, project_id, automation_id)
    async with state.sessions() as session:
        rows = list(await session.scalars(select(m.WorkflowVersion).where(m.WorkflowVersion.workflow_id == automation_id)
                                          .order_by(m.WorkflowVersion.version.desc())))
    return {"items": jsonable_encoder([{"version": r.version, "name": r.name, "enabled": r.enabled,
                                        "created_by": r.created_by, "created_at": r.created_at} for r in rows])}


@router.get("/{automation_id}/versions/{version}", summary="One saved version of an automation, with its graph")
async def show_version(state: State, project_id: UUID, automation_id: UUID, version: int) -> dict[str, Any]:
    await load(state, project_id, automation_id)
    async with state.sessions() as session:
        row = await session.get(m.WorkflowVersion, (automation_id, version))
    if row is None:
        raise ApiError(404, f"automation {automation_id} has no version {version}")
    return jsonable_encoder({"version": row.version, "name": row.name, "description": row.description,
                             "enabled": row.enabled, "graph": mask_document(row.graph or {}), "created_by": row.created_by,
                             "created_at": row.created_at})


@router.post("", status_code=202, summary="Create an automation",
             description="From a graph, or from a starter template and its parameters. The graph is validated "
                         "(422 lists every problem with its node). Publishes workflow.defined. " + WAIT_DOC)
async def create_automation(request: Request, state: State, project_id: UUID, body: AutomationBody) -> JSONResponse:
    await require_project(state, project_id)
    if (body.graph is None) == (body.template is None):
        raise ApiError(422, "give either a graph or a template")
    name = body.name
    if body.template is not None:
        try:
            graph = instantiate(body.template, body.params)
        except (KeyError, MissingParameter) as exc:
            raise ApiError(422, str(exc).strip("'\"")) from None
        name = name or TEMPLATES[body.template].title
        description = body.description or TEMPLATES[body.template].description
    else:
        graph, description = body.graph, body.description
    graph = seal_document(state.cipher, checked(graph))
    if not name:
        raise ApiError(422, "an automation needs a name")
    payload = WorkflowDefined(workflow_id=new_resource_id(request, "automation"), name=name, description=description, version=1,
                              graph=graph, enabled=body.enabled)
    return await _define(request, state, project_id, payload, created=True)


@router.patch("/{automation_id}", status_code=202, summary="Change an automation (a new version)",
              description="Fields left out stay; a new graph is validated first. Publishes workflow.defined with the "
                          "next version. " + WAIT_DOC)
async def update_automation(request: Request, state: State, project_id: UUID, automation_id: UUID,
                            body: AutomationChanges) -> JSONResponse:
    row = await load(state, project_id, automation_id)
    graph = seal_document(state.cipher, checked(restore_masked(body.graph, row.graph))) if body.graph is not None else row.graph
    payload = WorkflowDefined(workflow_id=row.id, name=body.name or row.name,
                              description=body.description if body.description is not None else row.description,
                              version=row.version + 1, graph=graph,
                              enabled=body.enabled if body.enabled is not None else row.enabled)
    return await _define(request, state, project_id, payload, created=False)


@router.post("/{automation_id}/run", status_code=202, summary="Run an automation now",
             description="Publishes workflow.run_requested; the execution id is in the answer "
                         "(GET .../executions/{execution_id} follows it).")
async def run_automation(request: Request, state: State, project_id: UUID, automation_id: UUID,
                         body: RunBody | None = None) -> JSONResponse:
    row = await load(state, project_id, automation_id)
    if not row.enabled:
        raise ApiError(409, f"automation {automation_id} is disabled")
    manual = [n["id"] for n in row.graph.get("nodes", []) if n.get("type") == "trigger.manual"]
    if not manual:
        raise ApiError(409, f"automation {automation_id} has no manual trigger")
    payload = WorkflowRunRequested(workflow_id=row.id, trigger="manual", trigger_node=manual[0],
                                   input=(body or RunBody()).input, version=row.version)
    event = envelope_for(request, state, payload, project_id)
    published, _ = await publish(state, event, wait=False)
    execution_id = execution_id_for(event.id)
    return accepted(event, published, execution_id, execution_id=execution_id,
                    location=f"/api/v1/projects/{project_id}/executions/{execution_id}")


@router.post("/{automation_id}/schedule/{action}", summary="Pause, resume, trigger or backfill the schedule",
             description="`action` is pause, resume, trigger (run now), backfill (body: start, end) or describe. "
                         "The schedule is Temporal's; it exists while the automation has an enabled schedule trigger.")
async def schedule(state: State, project_id: UUID, automation_id: UUID, action: str,
                   body: BackfillBody | None = None) -> dict[str, Any]:
    if action not in ("pause", "resume", "trigger", "backfill", "describe"):
        raise ApiError(404, f"unknown schedule action {action!r} (pause, resume, trigger, backfill, describe)")
    await load(state, project_id, automation_id)
    if action == "backfill" and (body is None or body.end <= body.start):
        raise ApiError(422, "a backfill needs a start before its end")
    try:
        return await schedule_action(await state.temporal(), automation_id, action,
                                     body.start if body else None, body.end if body else None)
    except ScheduleMissing as exc:
        raise ApiError(404, str(exc)) from None
