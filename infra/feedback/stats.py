"""Acceptance statistics per agent and project.

Each artifact counts once, by its latest verdict among accepted, modified and rejected (a case
accepted and later rejected is a rejection). Rates are over those judged artifacts:
acceptance = (accepted + modified) / judged, modification = modified / judged. Ratings are
averaged over every rating given. The trend buckets the latest verdicts by day or week."""

from datetime import datetime, timedelta, UTC
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

_LATEST = """
WITH latest AS (
  SELECT DISTINCT ON (artifact_id) artifact_id, agent, verdict, reason, created_at
  FROM feedback
  WHERE project_id = :project AND verdict IN ('accepted', 'modified', 'rejected') AND created_at >= :since
  ORDER BY artifact_id, created_at DESC, id DESC
)
"""


def _rates(accepted: int, modified: int, rejected: int) -> dict[str, Any]:
    judged = accepted + modified + rejected
    return {"judged": judged, "accepted": accepted, "modified": modified, "rejected": rejected,
            "acceptance_rate": round((accepted + modified) / judged, 4) if judged else None,
            "modification_rate": round(modified / judged, 4) if judged else None}


async def feedback_stats(sessions: async_sessionmaker, project_id: UUID, *, days: int = 90,
                         bucket: Literal["day", "week"] = "day", now: datetime | None = None) -> dict[str, Any]:
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    params = {"project": project_id, "since": since}
    async with sessions() as session:
        counts = (await session.execute(text(_LATEST + """
            SELECT agent, verdict, count(*) FROM latest GROUP BY agent, verdict"""), params)).all()
        trend = (await session.execute(text(_LATEST + f"""
            SELECT agent, date_trunc('{bucket}', created_at AT TIME ZONE 'UTC') AS period, verdict, count(*)
            FROM latest GROUP BY agent, period, verdict ORDER BY period"""), params)).all()
        reasons = (await session.execute(text(_LATEST + """
            SELECT agent, coalesce(reason, 'unspecified'), count(*) FROM latest WHERE verdict = 'rejected'
            GROUP BY agent, 2 ORDER BY 3 DESC, 2"""), params)).all()
        ratings = (await session.execute(text("""
            SELECT agent, avg(rating)::float, count(rating) FROM feedback
            WHERE project_id = :project AND rating IS NOT NULL AND created_at >= :since GROUP BY agent"""), params)).all()

    by_agent: dict[str, dict[str, int]] = {}
    for agent, verdict, n in counts:
        by_agent.setdefault(agent, {"accepted": 0, "modified": 0, "rejected": 0})[verdict] = n
    for agent, *_ in [*ratings, *reasons]:
        by_agent.setdefault(agent, {"accepted": 0, "modified": 0, "rejected": 0})
    periods: dict[str, dict[str, dict[str, int]]] = {}
    for agent, period, verdict, n in trend:
        key = period.date().isoformat()
        periods.setdefault(agent, {}).setdefault(key, {"accepted": 0, "modified": 0, "rejected": 0})[verdict] = n
    agents: dict[str, Any] = {}
    for agent, c in sorted(by_agent.items()):
        rating = next(((avg, n) for a, avg, n in ratings if a == agent), (None, 0))
        agents[agent] = {
            **_rates(c["accepted"], c["modified"], c["rejected"]),
            "average_rating": round(rating[0], 2) if rating[0] is not None else None, "ratings": rating[1],
            "trend": [{"period": p, **_rates(v["accepted"], v["modified"], v["rejected"])}
                      for p, v in sorted(periods.get(agent, {}).items())],
            "rejection_reasons": [{"reason": r, "count": n} for a, r, n in reasons if a == agent],
        }
    total = {k: sum(c[k] for c in by_agent.values()) for k in ("accepted", "modified", "rejected")}
    return {"project_id": str(project_id), "since": since.isoformat(), "bucket": bucket,
            "overall": _rates(total["accepted"], total["modified"], total["rejected"]), "agents": agents}
