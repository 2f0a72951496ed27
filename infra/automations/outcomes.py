"""What a run or a generation gives the automation that asked for it: read from the read models
once the projection has applied the end of the run."""

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from cognitest.infra.db.models import Issue, Run, RunResult
from cognitest.infra.settings import Settings
from cognitest.infra.triage.context import artifact_links, expected_actual
from cognitest.schemas.automation.execution import Finished

# the automated part of a run has ended (a run awaiting manual results has nothing left to execute)
TERMINAL = {"completed", "failed", "cancelled", "awaiting_manual"}
FAILED = ("failed", "error")


def public_url(settings: Settings) -> str:
    return (settings.integrations.public_url or settings.http.effective_url).rstrip("/")


def first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0][:300] if (text or "").strip() else ""


async def _failed_cases(session: Any, run_id: UUID) -> list[RunResult]:
    rows = await session.execute(select(RunResult).where(RunResult.run_id == run_id, RunResult.outcome.in_(FAILED))
                                 .order_by(RunResult.created_at))
    return list(rows.scalars())


async def run_outcome(sessions: async_sessionmaker, run_id: str, settings: Settings) -> dict[str, Any] | None:
    async with sessions() as session:
        run = (await session.execute(select(Run).where(Run.id == UUID(run_id)))).scalar_one_or_none()
        if run is None or run.status not in TERMINAL:
            return None
        failed = await _failed_cases(session, run.id)
        previous = (await session.execute(
            select(Run).where(Run.project_id == run.project_id, Run.id != run.id, Run.status.in_(TERMINAL),
                              Run.test_suite_id.is_not_distinct_from(run.test_suite_id), Run.created_at < run.created_at)
            .order_by(Run.created_at.desc()).limit(1))).scalar_one_or_none()
        failed_before = {r.test_case_id or r.key for r in await _failed_cases(session, previous.id)} if previous else set()
    base = public_url(settings)
    cases = [{"case_id": str(r.test_case_id) if r.test_case_id else None, "title": r.key or str(r.test_case_id),
              "error": first_line(r.error), "outcome": r.outcome, "failing_step": _failing_step(r.log),
              "expected_actual": expected_actual(r.error), "artifacts": artifact_links(base, run.project_id, r.artifacts)}
             for r in failed]
    new = [c for c, r in zip(cases, failed, strict=True) if (r.test_case_id or r.key) not in failed_before]
    totals = dict(run.totals or {})
    url = f"{public_url(settings)}/ui/projects/{run.project_id}/runs/{run.id}"  # the run's page in the UI
    return {
        "run_id": str(run.id), "name": run.name, "status": run.status, "passed": run.status in ("completed", "awaiting_manual") and not failed,
        "totals": totals, "failed_cases": cases[:100], "new_failures": new[:100], "url": url,
        "failure_lines": "\n".join(f"• {c['title']}: {c['error']}" for c in cases[:20]),
        "environment": _environment(run),
    }


def _failing_step(log: list[Any] | None) -> str | None:
    failed = [e for e in log or [] if isinstance(e, dict) and e.get("ok") is False]
    return str(failed[-1].get("action")) if failed else None


def _environment(run: Run) -> dict[str, Any]:
    request = run.request or {}
    env = request.get("environment") if isinstance(request.get("environment"), dict) else {}
    found = {"base_url": env.get("base_url"), "browser": ", ".join(map(str, request.get("browsers") or [])) or None,
             "device": request.get("device"), "commit": run.commit, "branch": run.branch}
    return {k: v for k, v in found.items() if v}


def generation_outcome(finished: Finished) -> dict[str, Any]:
    d = finished.detail
    return {"generation_id": finished.id, "status": finished.status, "plan_id": d.get("plan_id"),
            "cases": d.get("cases", 0), "suites": d.get("suites", 0), "uncovered": d.get("uncovered", [])}


async def issue_cases(sessions: async_sessionmaker, project_id: UUID, issue_id: str) -> list[str]:
    """Every test case an issue was seen failing in (its own case first), for a verifying re-run:
    a fix is verified only when all of them pass."""
    try:
        wanted = UUID(issue_id)
    except ValueError:
        return []
    async with sessions() as session:
        row = (await session.execute(select(Issue.related_test_case_id, Issue.metadata_).where(
            Issue.id == wanted, Issue.project_id == project_id))).first()
    if row is None:
        return []
    found = [str(row[0])] if row[0] else []
    for case_id in (row[1] or {}).get("case_ids") or []:
        if str(case_id) not in found:
            found.append(str(case_id))
    return found
