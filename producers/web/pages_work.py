"""Pages: test cases (search, filter, sort, paginate; detail with history), runs (start, follow
live, failures with screenshots and traces), issues (list, detail, resolve, reopen)."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from cognitest.infra.insight.compare import compare
from cognitest.infra.insight.runs import outcomes, previous
from cognitest.infra.db import models as m
from cognitest.infra.db.queries import ListQuery, list_rows
from cognitest.producers.api.body import MAX_OFFSET
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.resource import CASES, ISSUES
from cognitest.producers.api.routes.nested import fetch
from cognitest.producers.api.routes.results import case_history
from cognitest.producers.api.state import AppState, get_state
from cognitest.producers.web.pages_core import PROJECT, project_of
from cognitest.producers.web.render import page

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/ui", include_in_schema=False)
PAGE = 50
CASE_SORTS = ("-created_at", "created_at", "title", "-title", "priority", "-priority", "status", "-status", "-updated_at")


@router.get(PROJECT + "/cases", response_class=HTMLResponse)
async def cases_page(request: Request, state: State, project_id: UUID,
                     q: str | None = Query(None, max_length=200), status: str | None = Query(None, max_length=50),
                     priority: str | None = Query(None, max_length=50), tag: str | None = Query(None, max_length=100),
                     suite: UUID | None = Query(None), flaky: bool = Query(False),
                     sort: str = Query("-created_at", max_length=20), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> HTMLResponse:
    project = await project_of(state, project_id)
    equals: dict[str, Any] = {k: v for k, v in (("status", status), ("priority", priority), ("test_suite_id", suite)) if v}
    tags = [t for t in (tag, "flaky" if flaky else None) if t]
    query = ListQuery(project_id=project_id, equals=equals, tags=tags, search=q,
                      sort=sort if sort in CASE_SORTS else "-created_at", limit=PAGE, offset=offset)
    async with state.sessions() as session:
        items, total = await list_rows(session, CASES.table, query, text_column="title")
        suites = list(await session.execute(select(m.TestSuite.id, m.TestSuite.name).where(
            m.TestSuite.project_id == project_id, m.TestSuite.deleted_at.is_(None)).order_by(m.TestSuite.name).limit(500)))
    return page(request, "cases.html", project=project, active="cases", cases=items, total=total, offset=offset,
                page_size=PAGE, suites=suites, sorts=CASE_SORTS,
                filters={"q": q or "", "status": status or "", "priority": priority or "", "tag": tag or "",
                         "suite": str(suite or ""), "flaky": flaky, "sort": sort})


@router.get(PROJECT + "/cases/{case_id}", response_class=HTMLResponse)
async def case_page(request: Request, state: State, project_id: UUID, case_id: UUID) -> HTMLResponse:
    project = await project_of(state, project_id)
    case = await fetch(state, CASES, project_id, case_id)
    history = await case_history(state, project_id, case_id, last=20)
    return page(request, "case.html", project=project, active="cases", case=case, history=history)


@router.get(PROJECT + "/runs", response_class=HTMLResponse)
async def runs_page(request: Request, state: State, project_id: UUID,
                    offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> HTMLResponse:
    project = await project_of(state, project_id)
    async with state.sessions() as session:
        runs = list(await session.scalars(select(m.Run).where(m.Run.project_id == project_id, m.Run.deleted_at.is_(None))
                                          .order_by(m.Run.created_at.desc()).limit(PAGE).offset(offset)))
        suites = list(await session.execute(select(m.TestSuite.id, m.TestSuite.name).where(
            m.TestSuite.project_id == project_id, m.TestSuite.deleted_at.is_(None)).order_by(m.TestSuite.name).limit(500)))
    return page(request, "runs.html", project=project, active="runs", runs=runs, suites=suites, offset=offset,
                page_size=PAGE)


@router.get(PROJECT + "/runs/{run_id}", response_class=HTMLResponse)
async def run_page(request: Request, state: State, project_id: UUID, run_id: UUID,
                   base: UUID | None = Query(None, description="the run to compare with")) -> HTMLResponse:
    project = await project_of(state, project_id)
    async with state.sessions() as session:
        run = await session.get(m.Run, run_id)
        if run is None or run.project_id != project_id:
            raise ApiError(404, f"run {run_id} not found")
        rows = list(await session.scalars(select(m.RunResult).where(m.RunResult.run_id == run_id)
                                          .order_by(m.RunResult.created_at).limit(5000)))
        other = await session.get(m.Run, base) if base else await previous(session, run)
        if other is not None and other.project_id != project_id:
            other = None
        comparison = compare(await outcomes(session, other.id), await outcomes(session, run.id)) if other else None
        recent = list(await session.execute(select(m.Run.id, m.Run.name, m.Run.created_at).where(
            m.Run.project_id == project_id, m.Run.id != run_id, m.Run.deleted_at.is_(None))
            .order_by(m.Run.created_at.desc()).limit(30)))
    # a manual case recorded later replaces its "manual" placeholder: the latest result per case and key
    # (the key carries the browser), rows without a case each stand alone
    latest: dict[Any, m.RunResult] = {}
    for row in rows:
        latest[(row.test_case_id, row.key) if row.test_case_id else row.id] = row
    results = sorted(latest.values(), key=lambda r: (r.outcome, r.key or ""))
    failed = [r for r in results if r.outcome in ("failed", "error", "unverified")]
    return page(request, "run.html", project=project, active="runs", run=run, results=results, failed=failed,
                base=other, comparison=comparison, recent=recent)


@router.get(PROJECT + "/issues", response_class=HTMLResponse)
async def issues_page(request: Request, state: State, project_id: UUID,
                      status: str | None = Query(None, max_length=50), severity: str | None = Query(None, max_length=50),
                      q: str | None = Query(None, max_length=200), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> HTMLResponse:
    project = await project_of(state, project_id)
    equals = {k: v for k, v in (("status", status), ("severity", severity)) if v}
    query = ListQuery(project_id=project_id, equals=equals, search=q, sort="-updated_at", limit=PAGE, offset=offset)
    async with state.sessions() as session:
        items, total = await list_rows(session, ISSUES.table, query, text_column="title")
    return page(request, "issues.html", project=project, active="issues", issues=items, total=total, offset=offset,
                page_size=PAGE, filters={"status": status or "", "severity": severity or "", "q": q or ""})


@router.get(PROJECT + "/issues/{issue_id}", response_class=HTMLResponse)
async def issue_page(request: Request, state: State, project_id: UUID, issue_id: UUID) -> HTMLResponse:
    project = await project_of(state, project_id)
    issue = await fetch(state, ISSUES, project_id, issue_id)
    return page(request, "issue.html", project=project, active="issues", issue=issue)
