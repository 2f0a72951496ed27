"""What the dashboard shows, each a small aggregate query over the read models (bounded by the
project's indexes, so it stays fast with many cases)."""

from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, select, text

from cognitest.infra.db import models as m
from cognitest.infra.feedback.stats import feedback_stats

OPEN = ("open", "in_progress")


async def dashboard(sessions: Any, project_id: UUID) -> dict[str, Any]:
    async with sessions() as session:
        runs = list(await session.execute(
            select(m.Run.id, m.Run.name, m.Run.status, m.Run.totals, m.Run.created_at)
            .where(m.Run.project_id == project_id, m.Run.deleted_at.is_(None))
            .order_by(m.Run.created_at.desc()).limit(20)))
        severities = dict((await session.execute(
            select(m.Issue.severity, func.count()).where(m.Issue.project_id == project_id, m.Issue.deleted_at.is_(None),
                                                        m.Issue.status.in_(OPEN)).group_by(m.Issue.severity))).all())
        flaky = list(await session.execute(
            select(m.TestCase.id, m.TestCase.title).where(
                m.TestCase.project_id == project_id, m.TestCase.deleted_at.is_(None),
                m.TestCase.tags.contains(["flaky"])).order_by(m.TestCase.updated_at.desc().nulls_last()).limit(10)))
        requirements = await session.scalar(select(func.count()).select_from(m.Requirement)
                                            .where(m.Requirement.project_id == project_id)) or 0
        covered = await session.scalar(text(
            "SELECT count(*) FROM requirements r WHERE r.project_id = :p AND EXISTS (SELECT 1 FROM test_cases c "
            "WHERE c.project_id = :p AND c.deleted_at IS NULL AND c.requirement_ids ? r.id::text)"), {"p": project_id}) or 0
        cases = await session.scalar(select(func.count()).select_from(m.TestCase).where(
            and_(m.TestCase.project_id == project_id, m.TestCase.deleted_at.is_(None)))) or 0
    trend = []
    for run in reversed(runs):
        totals = run.totals or {}
        executed = sum(int(totals.get(k) or 0) for k in ("passed", "failed", "errors", "flaky"))
        passed = int(totals.get("passed") or 0) + int(totals.get("flaky") or 0)
        trend.append({"id": str(run.id), "name": run.name or "run", "status": run.status,
                      "rate": round(passed / executed, 3) if executed else None})
    stats = await feedback_stats(sessions, project_id)
    overall = stats.get("overall") or {}
    return {"trend": trend, "severities": severities, "open_issues": sum(severities.values()), "flaky": flaky,
            "requirements": requirements, "covered": covered, "cases": cases,
            "acceptance": overall.get("acceptance_rate"), "feedback": overall.get("judged", 0)}
