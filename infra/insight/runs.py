"""The read side of a run comparison: each case's latest result in a run, and the run a run is
compared with by default (the one before it on the same branch)."""

from typing import Any
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from cognitest.infra.db import models as m
from cognitest.infra.insight.compare import Outcome

ENDED = ("completed", "failed", "cancelled")


def latest_ids(run_id: UUID) -> Select[Any]:
    """The ids of each case's (and key's) latest result in the run: a retried or re-recorded case counts once."""
    r = m.RunResult
    return (select(r.id).where(r.run_id == run_id).distinct(r.test_case_id, r.key)
            .order_by(r.test_case_id, r.key, r.created_at.desc(), r.id))


async def outcomes(session: AsyncSession, run_id: UUID) -> list[Outcome]:
    """Each case's (and key's) latest result in the run."""
    r = m.RunResult
    rows = await session.execute(select(r.test_case_id, r.key, r.outcome, r.duration_ms, r.attempts, r.error)
                                 .where(r.id.in_(latest_ids(run_id))))
    return [Outcome(str(c) if c else None, k, o, d or 0, a or 1, e) for c, k, o, d, a, e in rows]


async def previous(session: AsyncSession, run: m.Run) -> m.Run | None:
    """The newest ended run of the project before `run`, on the same branch when it has one."""
    q = select(m.Run).where(m.Run.project_id == run.project_id, m.Run.id != run.id, m.Run.deleted_at.is_(None),
                            m.Run.created_at < run.created_at, m.Run.status.in_(ENDED))
    if run.branch:
        q = q.where(m.Run.branch == run.branch)
    return await session.scalar(q.order_by(m.Run.created_at.desc()).limit(1))
