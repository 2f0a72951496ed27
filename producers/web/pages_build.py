"""Pages: requirements (upload, parsing, coverage, generation live), plans and the plan review
(cases beside the requirements they cover, accept / reject / edit / regenerate, bulk, the
traceability matrix), automations (templates, graph as validated JSON with a readable preview,
executions with their step log and Temporal link)."""

import json
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from cognitest.infra.automations.templates import TEMPLATES
from cognitest.infra.db import models as m
from cognitest.infra.identity.crypto import mask_document
from cognitest.producers.api.resource import PLANS
from cognitest.producers.api.routes.automations import load as load_automation
from cognitest.producers.api.routes.executions import view as execution_view
from cognitest.producers.api.routes.generation import traceability
from cognitest.producers.api.routes.nested import fetch
from cognitest.producers.api.routes.requirements import documents_with_requirements
from cognitest.producers.api.state import AppState, get_state
from cognitest.producers.web.pages_core import PROJECT, project_of
from cognitest.producers.web.render import page
from cognitest.schemas.events.feedback import REJECTION_REASONS

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get(PROJECT + "/requirements", response_class=HTMLResponse)
async def requirements_page(request: Request, state: State, project_id: UUID) -> HTMLResponse:
    project = await project_of(state, project_id)
    documents = await documents_with_requirements(state, project_id)
    async with state.sessions() as session:
        covered = {rid for ids in await session.scalars(select(m.TestCase.requirement_ids).where(
            m.TestCase.project_id == project_id, m.TestCase.deleted_at.is_(None), m.TestCase.requirement_ids != [])) for rid in ids}
        generations = list(await session.scalars(select(m.Generation).where(m.Generation.project_id == project_id)
                                                 .order_by(m.Generation.created_at.desc()).limit(5)))
    return page(request, "requirements.html", project=project, active="requirements", documents=documents,
                covered={str(c) for c in covered}, generations=generations)


@router.get(PROJECT + "/plans", response_class=HTMLResponse)
async def plans_page(request: Request, state: State, project_id: UUID) -> HTMLResponse:
    project = await project_of(state, project_id)
    async with state.sessions() as session:
        plans = list(await session.scalars(select(m.TestPlan).where(m.TestPlan.project_id == project_id,
                                                                    m.TestPlan.deleted_at.is_(None))
                                           .order_by(m.TestPlan.created_at.desc()).limit(200)))
    return page(request, "plans.html", project=project, active="plans", plans=plans)


@router.get(PROJECT + "/plans/{plan_id}", response_class=HTMLResponse)
async def plan_review(request: Request, state: State, project_id: UUID, plan_id: UUID) -> HTMLResponse:
    project = await project_of(state, project_id)
    plan = await fetch(state, PLANS, project_id, plan_id)
    matrix = await traceability(state, project_id, plan_id)
    async with state.sessions() as session:
        suites = list(await session.scalars(select(m.TestSuite).where(
            m.TestSuite.test_plan_id == plan_id, m.TestSuite.deleted_at.is_(None)).order_by(m.TestSuite.name)))
        cases = list(await session.scalars(select(m.TestCase).where(
            m.TestCase.test_suite_id.in_([s.id for s in suites]), m.TestCase.deleted_at.is_(None))
            .order_by(m.TestCase.created_at)))
        verdicts = dict((await session.execute(
            select(m.Feedback.artifact_id, m.Feedback.verdict).where(
                m.Feedback.project_id == project_id, m.Feedback.artifact_id.in_([c.id for c in cases]))
            .order_by(m.Feedback.created_at))).all())
    requirement_keys = {r["id"]: r["key"] for r in matrix["requirements"]}
    by_suite: dict[UUID, list[m.TestCase]] = {}
    for case in cases:
        by_suite.setdefault(case.test_suite_id, []).append(case)
    return page(request, "plan.html", project=project, active="plans", plan=plan, matrix=matrix, suites=suites,
                by_suite=by_suite, verdicts={str(k): v for k, v in verdicts.items()}, keys=requirement_keys,
                reasons=REJECTION_REASONS)


def steps_preview(graph: dict[str, Any]) -> list[str]:
    """The graph in words, in the order the edges lead (for reading, not for running)."""
    nodes = {n["id"]: n for n in graph.get("nodes", [])}
    lines = []
    for node in graph.get("nodes", []):
        config = node.get("config") or {}
        detail = ", ".join(f"{k}={json.dumps(v)[:40]}" for k, v in config.items() if k not in ("secret", "webhook_url"))
        nexts = [f"{e['target']}{' (' + e['label'] + ')' if e.get('label') else ''}" for e in graph.get("edges", [])
                 if e.get("source") == node["id"] and e.get("target") in nodes]
        lines.append(f"{node['id']}: {node['type']}{' — ' + detail if detail else ''}{' → ' + ', '.join(nexts) if nexts else ''}")
    return lines


@router.get(PROJECT + "/automations", response_class=HTMLResponse)
async def automations_page(request: Request, state: State, project_id: UUID) -> HTMLResponse:
    project = await project_of(state, project_id)
    async with state.sessions() as session:
        rows = list(await session.scalars(select(m.Workflow).where(m.Workflow.project_id == project_id)
                                          .order_by(m.Workflow.created_at.desc()).limit(200)))
        executions = list(await session.scalars(select(m.WorkflowExecution).where(
            m.WorkflowExecution.project_id == project_id).order_by(m.WorkflowExecution.started_at.desc().nulls_first()).limit(20)))
    return page(request, "automations.html", project=project, active="automations", automations=rows,
                executions=[execution_view(state, e) for e in executions], templates=list(TEMPLATES.values()))


@router.get(PROJECT + "/automations/{automation_id}", response_class=HTMLResponse)
async def automation_page(request: Request, state: State, project_id: UUID, automation_id: UUID) -> HTMLResponse:
    project = await project_of(state, project_id)
    row = await load_automation(state, project_id, automation_id)
    async with state.sessions() as session:
        executions = list(await session.scalars(select(m.WorkflowExecution).where(
            m.WorkflowExecution.workflow_id == automation_id).order_by(m.WorkflowExecution.started_at.desc().nulls_first()).limit(20)))
    graph = mask_document(row.graph or {})
    return page(request, "automation.html", project=project, active="automations", automation=row,
                graph=json.dumps(graph, indent=2), preview=steps_preview(graph),
                executions=[execution_view(state, e) for e in executions])


