"""What an alert about an issue says beyond its event: since when and in how many runs it fails,
its environment, failing step, expected against actual, screenshot links (from the read model)."""

import asyncio
import time
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from cognitest.infra.db.models import Issue, Run


async def issue_facts(sessions: async_sessionmaker, issue_id: str | None, run_id: str | None = None,
                      wait: float = 3.0) -> dict[str, Any] | None:
    """The issue as the projection knows it; waits a little for the run that told us to be counted."""
    try:
        wanted = UUID(str(issue_id))
    except ValueError:
        return None
    deadline = time.monotonic() + wait
    while True:
        async with sessions() as session:
            issue = (await session.execute(select(Issue).where(Issue.id == wanted))).scalar_one_or_none()
            first_run = None
            if issue is not None and issue.run_ids:
                first_run = (await session.execute(select(Run.name, Run.id).where(Run.id == UUID(issue.run_ids[0]))
                                                   )).first()
        counted = issue is not None and (run_id is None or str(run_id) in (issue.run_ids or []))
        if counted or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    if issue is None:
        return None
    metadata = issue.metadata_ or {}
    pair = (metadata["expected"], metadata["actual"]) if metadata.get("expected") else None
    return {"title": issue.title, "severity": issue.severity, "status": issue.status, "runs": len(issue.run_ids or []),
            "occurrences": issue.occurrences, "since": issue.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            "first_run": (first_run[0] or str(first_run[1])) if first_run else None,
            "environment": dict(issue.environment or {}), "attachments": list(issue.attachments or []),
            "failing_step": metadata.get("failing_step"), "expected_actual": pair, "case": metadata.get("case_key")}
