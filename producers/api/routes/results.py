"""CI results (JUnit XML) in; runs, their results and each case's history out."""

import hashlib
from typing import Annotated, Any
from uuid import UUID, uuid4, uuid5

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import Uuid, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY

from cognitest.infra.db import models as m
from cognitest.infra.results.importer import case_id_for, imported_suite_id, plan_import
from cognitest.infra.results.junit import MalformedReport, parse_junit
from cognitest.producers.api.body import MAX_OFFSET
from cognitest.producers.api.commands import derived_id
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.routes.nested import require_project
from cognitest.producers.api.state import AppState, actor_of, get_state

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["runs"])


@router.post("/results", status_code=202, summary="Import CI results (JUnit XML)",
             description="One or more JUnit XML files (pytest, Maven Surefire, Gradle, jest-junit, go-junit-report, "
                         "gotestsum ...) become one run. Results map to cases by classname + name; missing cases are "
                         "created in the project's Imported suite. Malformed XML, or XML with entity declarations "
                         "(XML bombs), is refused with 422 and nothing is imported. The same report content imported "
                         "again into the same project is recognised: the answer is the existing run (200, "
                         "`duplicate: true`) and nothing changes; `force=true` imports it as a new run on purpose.")
async def import_results(request: Request, state: State, project_id: UUID, files: list[UploadFile] = File(...),
                         run_name: str | None = Form(None, max_length=255), commit: str | None = Form(None, max_length=64),
                         branch: str | None = Form(None, max_length=255), wait: bool = Query(False),
                         force: bool = Query(False, description="import again as a new run, even if this content "
                                                                "was imported before")) -> JSONResponse:
    await require_project(state, project_id)
    limit = state.settings.requirements.max_upload_bytes
    results = []
    content = hashlib.sha256()
    for upload_file in files:
        name = upload_file.filename or "report.xml"
        data = await upload_file.read(limit + 1)
        if len(data) > limit:
            raise ApiError(413, f"{name} is over the {limit:,}-byte limit")
        content.update(hashlib.sha256(data).digest())
        try:
            results += parse_junit(data, name)
        except MalformedReport as exc:
            raise ApiError(422, str(exc)) from None
    # the run's id comes from the report's content (or the request's Idempotency-Key), so importing
    # the same report twice is recognised instead of doubling every result and issue occurrence
    keyed = derived_id(request, "results-import")
    run_id = uuid4() if force else keyed or uuid5(project_id, f"junit-content:{content.hexdigest()}")
    if not force:
        async with state.sessions() as session:
            existing = await session.get(m.Run, run_id)
        if existing is not None and existing.project_id == project_id:
            return JSONResponse({"run_id": str(run_id), "duplicate": True, "totals": existing.totals,
                                 "cases_created": 0, "events": 0, "applied": True,
                                 "message": "this report was imported before: the existing run is returned, "
                                            "nothing changed (force=true imports it again)"}, status_code=200)
    keys = {case_id_for(project_id, r.key) for r in results}
    async with state.sessions() as session:
        # one array parameter, however many results: an IN list would hit PostgreSQL's bind-parameter limit
        ids = bindparam("ids", value=list(keys), type_=ARRAY(Uuid))
        existing = set(await session.scalars(select(m.TestCase.id).where(m.TestCase.id == any_(ids))))
        suite = await session.get(m.TestSuite, imported_suite_id(project_id))
    plan = plan_import(project_id, run_id, results, existing_case_ids=existing, suite_exists=suite is not None,
                       actor=actor_of(request), source=state.settings.source, run_name=run_name, commit=commit,
                       branch=branch, correlationid=request.state.request_id)
    future = state.waiter.expect(plan.last_event_id) if wait else None
    for start in range(0, len(plan.events), 2000):
        await state.publisher.publish_many(plan.events[start:start + 2000])
    body = {"run_id": str(run_id), "totals": plan.totals.model_dump(), "cases_created": plan.cases_created,
            "events": len(plan.events), "applied": False, "duplicate": False}
    if future is not None:
        outcome = await state.waiter.wait(plan.last_event_id, future, max(state.settings.http.wait_timeout, 60))
        body["applied"] = bool(outcome and outcome.applied)
        return JSONResponse(body, status_code=201 if body["applied"] else 202)
    return JSONResponse(body, status_code=202)


def _run(row: m.Run) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "status": row.status, "source": row.source, "totals": row.totals,
            "commit": row.commit, "branch": row.branch, "plan_id": row.test_plan_id, "suite_id": row.test_suite_id,
            "created_at": row.created_at, "started_at": row.started_at, "finished_at": row.finished_at,
            "duration_ms": row.duration_ms, "created_by": row.created_by, "reason": row.reason}


@router.get("/runs", summary="List runs, newest first")
async def list_runs(state: State, project_id: UUID, status: str | None = Query(None, pattern="^(requested|running|awaiting_manual|completed|failed|cancelled)$"),
                    limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> dict[str, Any]:
    await require_project(state, project_id)
    q = select(m.Run).where(m.Run.project_id == project_id, m.Run.deleted_at.is_(None))
    if status:
        q = q.where(m.Run.status == status)
    async with state.sessions() as session:
        rows = list(await session.scalars(q.order_by(m.Run.created_at.desc()).limit(limit).offset(offset)))
    return {"items": jsonable_encoder([_run(r) for r in rows]), "limit": limit, "offset": offset}


@router.get("/runs/{run_id}", summary="A run with its totals")
async def show_run(state: State, project_id: UUID, run_id: UUID) -> dict[str, Any]:
    async with state.sessions() as session:
        row = await session.get(m.Run, run_id)
    if row is None or row.project_id != project_id:
        raise ApiError(404, f"run {run_id} not found")
    return jsonable_encoder(_run(row))


@router.get("/runs/{run_id}/results", summary="A run's results, failures first",
            description="One row per case (and browser): its latest result. A manual case recorded by a person "
                        "replaces its `manual` placeholder; `history=true` lists every result instead.")
async def run_results(state: State, project_id: UUID, run_id: UUID,
                      outcome: str | None = Query(None, pattern="^(passed|failed|error|skipped|flaky|manual|unverified|untested)$"),
                      history: bool = Query(False, description="every result, not only each case's latest"),
                      limit: int = Query(500, ge=1, le=5000), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> dict[str, Any]:
    r = m.RunResult
    q = select(r).where(r.run_id == run_id, r.project_id == project_id)
    if not history:
        latest = (select(r.id).where(r.run_id == run_id).distinct(r.test_case_id, r.key)
                  .order_by(r.test_case_id, r.key, r.created_at.desc(), r.id))
        q = q.where(r.id.in_(latest))
    if outcome:
        q = q.where(r.outcome == outcome)
    async with state.sessions() as session:
        rows = list(await session.scalars(q.order_by(r.outcome, r.key).limit(limit).offset(offset)))
    return {"items": jsonable_encoder([{"case_id": r.test_case_id, "key": r.key, "outcome": r.outcome,
                                        "duration_ms": r.duration_ms, "attempts": r.attempts, "error": r.error,
                                        "log": r.log} for r in rows])}


@router.get("/cases/{case_id}/history", tags=["cases"], summary="A case's results across runs",
            description="The last N results, pass rate, flakiness (flips between pass and fail, retries counted) and "
                        "the duration trend.")
async def case_history(state: State, project_id: UUID, case_id: UUID, last: int = Query(20, ge=1, le=500)) -> dict[str, Any]:
    await require_project(state, project_id)
    async with state.sessions() as session:
        rows = list(await session.execute(
            select(m.RunResult, m.Run.name, m.Run.created_at.label("run_at")).join(m.Run, m.Run.id == m.RunResult.run_id)
            .where(m.RunResult.test_case_id == case_id, m.RunResult.project_id == project_id)
            .order_by(m.RunResult.created_at.desc()).limit(last)))
    results = [{"run_id": r.RunResult.run_id, "run_name": r.name, "at": r.run_at, "outcome": r.RunResult.outcome,
                "duration_ms": r.RunResult.duration_ms, "attempts": r.RunResult.attempts, "error": r.RunResult.error}
               for r in rows]
    decided = [r["outcome"] for r in reversed(results) if r["outcome"] in ("passed", "failed", "error", "flaky")]
    verdicts = ["pass" if o == "passed" else "fail" for o in decided]
    flips = sum(1 for a, b in zip(verdicts, verdicts[1:], strict=False) if a != b)
    retried = sum(1 for r in results if r["attempts"] > 1 or r["outcome"] == "flaky")
    durations = [r["duration_ms"] for r in reversed(results)]
    half = len(durations) // 2
    trend = (sum(durations[half:]) / max(len(durations) - half, 1)) - (sum(durations[:half]) / max(half, 1)) if half else 0
    return jsonable_encoder({
        "case_id": case_id, "results": results,
        "pass_rate": round(verdicts.count("pass") / len(verdicts), 4) if verdicts else None,
        "flips": flips, "retried": retried, "flaky": flips >= 2 or retried > 0,
        "duration_trend_ms": round(trend, 1),
    })
