"""A project's monthly budget for model calls (project settings `llm_budget_usd`): what its
generations cost this calendar month (UTC), read from their records, against the limit. Checked
before each model call; a call already under way finishes, so a budget can be passed by at most
the calls in flight."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Float, cast, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from cognitest.infra.db import models as m


class BudgetExceeded(Exception):
    pass


def limit_of(settings: dict[str, Any] | None) -> float | None:
    value = (settings or {}).get("llm_budget_usd")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


async def check(sessions: async_sessionmaker, project_id: UUID) -> None:
    """Raise BudgetExceeded (with what was spent and the limit) when the month's budget is used up."""
    month = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    cost = cast(m.Generation.result["cost_usd"].astext, Float)
    async with sessions() as session:
        settings = await session.scalar(select(m.Project.settings).where(m.Project.id == project_id))
        limit = limit_of(settings)
        if limit is None:
            return
        spent = float(await session.scalar(select(func.coalesce(func.sum(cost), 0.0)).where(
            m.Generation.project_id == project_id, m.Generation.created_at >= month)) or 0.0)
    if spent >= limit:
        raise BudgetExceeded(f"the project's model budget is spent: ${spent:.2f} of ${limit:.2f} this month "
                             "(project settings llm_budget_usd); the offline engine wrote these cases instead")
