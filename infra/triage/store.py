"""What triage reads from the read models."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from cognitest.infra.db.models import Issue, RunResult, TestCase


@dataclass(frozen=True)
class CaseInfo:
    title: str
    priority: str | None
    steps: list[str]
    tags: list[str]


def _step_text(step: Any) -> str:
    if isinstance(step, dict):
        action = step.get("action") or step.get("step") or ""
        expected = step.get("expected") or step.get("expected_result")
        return f"{action} (expect: {expected})" if expected else str(action)
    return str(step)


class TriageStore:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions

    async def issues_by_signature(self, project_id: UUID, signatures: list[str]) -> dict[str, UUID]:
        async with self.sessions() as session:
            rows = await session.execute(select(Issue.signature, Issue.id).where(
                Issue.project_id == project_id, Issue.signature.in_(signatures), Issue.deleted_at.is_(None)))
        return {signature: issue_id for signature, issue_id in rows}

    async def open_fingerprints(self, project_id: UUID, limit: int = 500) -> list[tuple[str, str]]:
        async with self.sessions() as session:
            rows = await session.execute(select(Issue.id, Issue.metadata_["fingerprint"].astext).where(
                Issue.project_id == project_id, Issue.status.in_(("open", "in_progress")), Issue.deleted_at.is_(None),
                Issue.metadata_.has_key("fingerprint")).order_by(Issue.last_seen_at.desc().nulls_last()).limit(limit))
        return [(str(issue_id), text) for issue_id, text in rows if text]

    async def cases(self, case_ids: list[UUID]) -> dict[UUID, CaseInfo]:
        if not case_ids:
            return {}
        async with self.sessions() as session:
            rows = (await session.execute(select(TestCase).where(TestCase.id.in_(case_ids)))).scalars().all()
        return {r.id: CaseInfo(r.title, r.priority, [_step_text(s) for s in r.steps or []], list(r.tags or []))
                for r in rows}

    async def recent_outcomes(self, case_ids: list[UUID], limit: int = 10) -> dict[UUID, list[str]]:
        """The last outcomes of each case, oldest first: one query for the whole batch."""
        if not case_ids:
            return {}
        rank = func.row_number().over(partition_by=RunResult.test_case_id, order_by=RunResult.created_at.desc())
        recent = (select(RunResult.test_case_id, RunResult.outcome, RunResult.created_at, rank.label("rank"))
                  .where(RunResult.test_case_id.in_(case_ids)).subquery())
        async with self.sessions() as session:
            rows = await session.execute(select(recent.c.test_case_id, recent.c.outcome)
                                         .where(recent.c.rank <= limit).order_by(recent.c.created_at))
        out: dict[UUID, list[str]] = {}
        for case_id, outcome in rows:
            out.setdefault(case_id, []).append(outcome)
        return out
