"""Starting and cancelling runs, recording manual results, downloading artifacts."""

from typing import Annotated, Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from sqlalchemy import select

from cognitest.infra.blob import BlobNotFound
from cognitest.infra.db import models as m
from cognitest.producers.api.body import Body
from cognitest.producers.api.commands import accepted, envelope_for, new_resource_id, publish, wants_wait
from cognitest.producers.api.downloads import attachment
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.references import require_owned
from cognitest.producers.api.routes.nested import require_project
from cognitest.producers.api.state import AppState, actor_of, get_state
from cognitest.schemas import new_event
from cognitest.schemas.enums import CaseOutcome
from cognitest.schemas.events.runs import RunCancelRequested, RunCaseFinished, RunRequested
from cognitest.schemas.numbers import JsonInt

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["runs"])


class RunBody(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    plan_id: UUID | None = None
    suite_id: UUID | None = None
    case_ids: list[UUID] = Field(default_factory=list)
    collection_id: UUID | None = None
    environment: dict[str, Any] = Field(default_factory=dict, description="base_url, variables, appium_url, capabilities")
    browsers: list[Literal["chromium", "firefox", "webkit"]] = Field(default_factory=lambda: ["chromium"])
    device: str | None = None
    parallelism: JsonInt = Field(default=1, ge=1, le=64)
    retries: JsonInt = Field(default=0, ge=0, le=10)


class CloseRun(Body):
    reason: str | None = Field(default=None, max_length=2000, description="why the rest was not tested")


class ManualResult(Body):
    case_id: UUID
    outcome: CaseOutcome
    comment: str | None = Field(default=None, max_length=5000)


@router.post("/runs", status_code=202, summary="Start a run",
             description="Targets a plan, a suite, a list of cases or an API collection. Cases with executable steps "
                         "run on the web (Playwright, per browser), on a device (Appium) or against an API (httpx); "
                         "cases without are manual. Follow with GET .../runs/{id} or the event stream.")
async def start_run(request: Request, state: State, project_id: UUID, body: RunBody) -> JSONResponse:
    await require_project(state, project_id)
    if not (body.plan_id or body.suite_id or body.case_ids or body.collection_id):
        raise ApiError(422, "a run needs a plan_id, a suite_id, case_ids or a collection_id")
    bad = [b for b in body.browsers if b not in ("chromium", "firefox", "webkit")]
    if bad:
        raise ApiError(422, f"unknown browser(s): {', '.join(bad)} (chromium, firefox, webkit)")
    await require_owned(state, project_id, body.model_dump(), ("plan_id", "suite_id", "case_ids", "collection_id"))
    run_id = new_resource_id(request, "run")
    event = envelope_for(request, state, RunRequested(run_id=run_id, **body.model_dump()), project_id)
    published, _ = await publish(state, event, wait=wants_wait(request), resource_id=run_id)
    return accepted(event, published, run_id, location=f"/api/v1/projects/{project_id}/runs/{run_id}")


@router.post("/runs/{run_id}/cancel", status_code=202, summary="Cancel a run")
async def cancel_run(request: Request, state: State, project_id: UUID, run_id: UUID) -> JSONResponse:
    async with state.sessions() as session:
        run = await session.get(m.Run, run_id)
    if run is None or run.project_id != project_id:
        raise ApiError(404, f"run {run_id} not found")
    if run.status in ("completed", "failed", "cancelled"):
        raise ApiError(409, f"run {run_id} has already ended ({run.status})")
    if run.status == "awaiting_manual":
        raise ApiError(409, f"run {run_id} has nothing left to execute: record its manual cases "
                            f"(POST .../runs/{run_id}/results) to finish it")
    event = envelope_for(request, state, RunCancelRequested(run_id=run_id), project_id)
    published, _ = await publish(state, event, wait=wants_wait(request))
    return accepted(event, published, run_id)


@router.post("/runs/{run_id}/results", status_code=202, summary="Record the result of a manual case")
async def record_manual(request: Request, state: State, project_id: UUID, run_id: UUID, body: ManualResult) -> JSONResponse:
    async with state.sessions() as session:
        run = await session.get(m.Run, run_id)
    if run is None or run.project_id != project_id:
        raise ApiError(404, f"run {run_id} not found")
    async with state.sessions() as session:
        title = await session.scalar(select(m.TestCase.title).where(m.TestCase.id == body.case_id,
                                                                     m.TestCase.project_id == project_id))
    if title is None:
        raise ApiError(404, f"case_id: {body.case_id} not found in this project",
                       [{"loc": ["body", "case_id"], "msg": "not found in this project", "type": "reference"}])
    event = envelope_for(request, state, RunCaseFinished(run_id=run_id, case_id=body.case_id, outcome=body.outcome,
                                                         title=title[:500], error=body.comment,
                                                         log=[{"manual": True}]), project_id)
    published, _ = await publish(state, event, wait=wants_wait(request))
    return accepted(event, published, run_id)


@router.post("/runs/{run_id}/close", status_code=202, summary="Close a run that waits for manual results",
             description="For a run `awaiting_manual`: every manual case not recorded yet is recorded as `untested` "
                         "(counted apart, neither passed nor failed) and the run ends, `completed` or `failed` by "
                         "what was recorded. Closing again changes nothing. 409 for a run in any other state.")
async def close_run(request: Request, state: State, project_id: UUID, run_id: UUID,
                    body: CloseRun | None = None) -> JSONResponse:
    async with state.sessions() as session:
        run = await session.get(m.Run, run_id)
        if run is None or run.project_id != project_id:
            raise ApiError(404, f"run {run_id} not found")
        if run.status != "awaiting_manual":
            raise ApiError(409, f"run {run_id} is {run.status}: only a run awaiting manual results can be closed")
        rows = (await session.execute(select(m.RunResult.test_case_id, m.RunResult.key, m.RunResult.outcome)
                                      .where(m.RunResult.run_id == run_id)
                                      .order_by(m.RunResult.created_at, m.RunResult.id))).all()
    latest: dict[Any, tuple[Any, str | None, str]] = {}
    for case_id, key, outcome in rows:
        latest[(case_id, key)] = (case_id, key, outcome)
    left = [(case_id, key) for case_id, key, outcome in latest.values() if outcome == "manual" and case_id]
    reason = (body.reason if body and body.reason else None) or "closed before it was tested"
    last: Any = None
    for case_id, key in left:  # one result per case left, with an id of its own: closing twice records nothing new
        event = new_event(RunCaseFinished(run_id=run_id, case_id=case_id, outcome=CaseOutcome.untested,
                                          title=(key or str(case_id))[:500], error=reason, log=[{"manual": True, "closed": True}]),
                          project_id=project_id, actor=actor_of(request), source=state.settings.source,
                          event_id=str(uuid5(NAMESPACE_URL, f"cognitest:run:{run_id}:close:{case_id}")))
        last, _ = await publish(state, event, wait=wants_wait(request))
    return JSONResponse({"run_id": str(run_id), "untested": len(left), "status": "accepted" if last else "unchanged"},
                        status_code=202)


@router.get("/artifacts", summary="Download an artifact (screenshot, trace) of one of the project's runs")
async def artifact(state: State, project_id: UUID, ref: str = Query(..., max_length=200)) -> Response:
    async with state.sessions() as session:
        rows = await session.scalars(select(m.RunResult.artifacts).where(
            m.RunResult.project_id == project_id, m.RunResult.artifacts.contains([{"ref": ref}])).limit(1))
        found = rows.first()
    if not found:
        raise ApiError(404, "no such artifact in this project")
    entry = next(a for a in found if a.get("ref") == ref)
    try:
        data = await state.blobs.get(ref)
    except BlobNotFound:
        raise ApiError(404, "the artifact is gone from the blob store") from None
    media = "image/png" if entry.get("kind") == "screenshot" else "application/zip"
    return Response(data, media_type=media, headers=attachment(str(entry.get("name") or "artifact")))
