"""Generation requests and their progress, and the traceability matrix of a plan."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy import false, or_, select
from sqlalchemy.dialects.postgresql import array

from cognitest.infra.generation.quality import COVERED, UNCOVERED, WEAKLY_COVERED, case_strength, requirement_status
from cognitest.infra.db import models as m
from cognitest.infra.execution_guard import TargetRefused, project_policy
from cognitest.producers.api.body import Body
from cognitest.producers.api.commands import accepted, envelope_for, new_resource_id, publish, wants_wait
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.references import require_owned
from cognitest.producers.api.routes.nested import require_project
from cognitest.producers.api.state import AppState, get_state
from cognitest.schemas.events.generation import GenerationRequested
from cognitest.schemas.exploration import AppTarget

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["generation"])


class GenerationBody(Body):
    document_ids: list[UUID] = Field(default_factory=list, description="default: every parsed document of the project")
    suite_id: UUID | None = Field(default=None, description="regenerate this suite only (edited cases are kept)")
    case_id: UUID | None = Field(default=None, description="regenerate this case only")
    engine: str | None = Field(default=None, pattern="^(offline|llm)$", description="default: llm when configured")
    app: AppTarget | None = Field(default=None, description=(
        "app-aware generation: explore this running web app (same origin, bounded, no destructive links), ground "
        "cases in its pages and dry-run the executable ones"))


@router.post("/generations", status_code=202, summary="Generate a test plan, suites and cases from requirements",
             description="Publishes generation.requested; the GenerationPipeline workflow does the work. Follow it with "
                         "GET .../generations/{id} or the event stream (generation.progress, .completed, .failed).")
async def request_generation(request: Request, state: State, project_id: UUID, body: GenerationBody) -> JSONResponse:
    await require_project(state, project_id)
    if body.engine == "llm" and not state.settings.llm.model:
        raise ApiError(422, "the llm engine is not configured (set COGNITEST_LLM__MODEL)")
    await require_owned(state, project_id, body.model_dump(), ("document_ids", "suite_id", "case_id"))
    if body.app is not None:  # the same target rules a run obeys, told now rather than in the result
        policy = await project_policy(state.sessions, project_id, state.settings.execution)
        try:
            policy.check(str(body.app.base_url))
        except TargetRefused as exc:
            raise ApiError(422, f"the app's base URL is refused by the project's target rules: {exc}") from None
    generation_id = new_resource_id(request, "generation")
    event = envelope_for(request, state, GenerationRequested(generation_id=generation_id, **body.model_dump()), project_id)
    published, _ = await publish(state, event, wait=wants_wait(request), resource_id=generation_id)
    return accepted(event, published, generation_id, location=f"/api/v1/projects/{project_id}/generations/{generation_id}")


@router.get("/generations/{generation_id}", summary="A generation's status, progress and result")
async def show_generation(state: State, project_id: UUID, generation_id: UUID) -> dict[str, Any]:
    async with state.sessions() as session:
        row = await session.get(m.Generation, generation_id)
    if row is None or row.project_id != project_id:
        raise ApiError(404, f"generation {generation_id} not found")
    return jsonable_encoder({"id": row.id, "status": row.status, "request": row.request, "progress": row.progress,
                             "result": row.result, "error": row.error, "created_at": row.created_at,
                             "updated_at": row.updated_at})


@router.get("/plans/{plan_id}/traceability", tags=["plans"], summary="Requirements × cases of a plan, with coverage",
            description="Every requirement of the plan's source documents with the cases that trace it, each "
                        "requirement `covered` (by a case with concrete steps and expected results), `weak` (traced "
                        "only by placeholder or step-less cases) or `uncovered`; `coverage` counts covered ones only.")
async def traceability(state: State, project_id: UUID, plan_id: UUID) -> dict[str, Any]:
    await require_project(state, project_id)
    async with state.sessions() as session:
        plan = await session.get(m.TestPlan, plan_id)
        if plan is None or plan.project_id != project_id or plan.deleted_at is not None:
            raise ApiError(404, f"plan {plan_id} not found")
        suites = select(m.TestSuite.id).where(m.TestSuite.test_plan_id == plan_id, m.TestSuite.deleted_at.is_(None))
        documents = [d for d in map(_uuid, plan.source_documents or []) if d is not None]
        requirements = list(await session.scalars(select(m.Requirement).where(m.Requirement.document_id.in_(documents))
                                                  .order_by(m.Requirement.document_id, m.Requirement.position)))
        # the plan's own cases, and cases elsewhere in the project linked to its requirements (a
        # generated duplicate is linked to the existing case instead of added)
        ours = m.TestCase.test_suite_id.in_(suites)
        linked = m.TestCase.requirement_ids.has_any(array([str(r.id) for r in requirements])) if requirements else false()
        cases = list(await session.scalars(select(m.TestCase).where(
            m.TestCase.project_id == project_id, m.TestCase.deleted_at.is_(None), or_(ours, linked))))
    covering: dict[str, list[dict[str, Any]]] = {}
    for case in cases:
        strength = case_strength(case.steps or [], case.expected_result, case.executable_steps)
        for rid in case.requirement_ids:
            covering.setdefault(rid, []).append({"id": str(case.id), "title": case.title, "priority": case.priority,
                                                 "category": (case.metadata_ or {}).get("category"), "strength": strength})
    rows = [{"id": str(r.id), "key": r.key, "title": r.title, "kind": r.kind, "priority": r.priority,
             "cases": covering.get(str(r.id), []),
             "status": requirement_status(c["strength"] for c in covering.get(str(r.id), []))} for r in requirements]
    covered = sum(1 for row in rows if row["status"] == COVERED)
    # covered only by concrete cases; a requirement traced only by placeholders is shown apart, never counted
    return {"plan_id": str(plan_id), "requirements": rows, "cases": len(cases), "covered": covered, "total": len(rows),
            "coverage": round(covered / len(rows), 4) if rows else 1.0,
            "weak": sum(1 for row in rows if row["status"] == WEAKLY_COVERED),
            "weakly_covered": [row["key"] for row in rows if row["status"] == WEAKLY_COVERED],
            "uncovered": [row["key"] for row in rows if row["status"] == UNCOVERED]}


def _uuid(value: Any) -> UUID | None:
    """A document id as stored in a plan (set through the API, so possibly not an id at all)."""
    try:
        return UUID(str(value))
    except ValueError:
        return None
