"""Per-project run quota, shared by every execution process: a run starts only while its project
holds fewer leases than its limit, so one team's hundred queued runs cannot starve another's.

Leases live in PostgreSQL (`run_leases`), taken under a transaction-scoped advisory lock per
project so two processes cannot both take the last slot. The holder renews its leases while the
runs last; a lease not renewed within `ttl` seconds belonged to a crashed process and is reclaimed.
The limit is the project's `settings.max_concurrent_runs` when set, else the global default
(`COGNITEST_EXECUTION__MAX_RUNS_PER_PROJECT`); 0 means no limit."""

import os
import socket
from uuid import UUID

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import async_sessionmaker

from cognitest.infra.db.models import Project, RunLease

HOLDER = f"{socket.gethostname()}:{os.getpid()}"


class RunQuota:
    def __init__(self, sessions: async_sessionmaker, default_limit: int, ttl: float = 30.0, holder: str = HOLDER) -> None:
        self.sessions = sessions
        self.default_limit = default_limit
        self.ttl = ttl
        self.holder = holder

    async def limit_of(self, project_id: UUID) -> int:
        async with self.sessions() as session:
            settings = await session.scalar(select(Project.settings).where(Project.id == project_id))
        value = (settings or {}).get("max_concurrent_runs")
        return int(value) if isinstance(value, int) and value >= 0 else self.default_limit

    async def try_acquire(self, project_id: UUID, run_id: UUID) -> bool:
        """Take a slot for the run (or keep the one it already has, after a restart). False when
        the project is at its limit."""
        limit = await self.limit_of(project_id)
        if limit == 0:
            return True
        async with self.sessions() as session, session.begin():
            await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"run-quota:{project_id}"})
            stale = func.now() - func.make_interval(0, 0, 0, 0, 0, 0, self.ttl)
            await session.execute(delete(RunLease).where(RunLease.project_id == project_id, RunLease.renewed_at < stale))
            held = await session.scalar(select(func.count()).select_from(RunLease).where(
                RunLease.project_id == project_id, RunLease.run_id != run_id))
            if (held or 0) >= limit:
                return False
            await session.execute(insert(RunLease).values(run_id=run_id, project_id=project_id, holder=self.holder)
                                  .on_conflict_do_update(index_elements=[RunLease.run_id],
                                                         set_={"holder": self.holder, "renewed_at": func.now()}))
        return True

    async def renew(self, run_ids: list[UUID]) -> None:
        if run_ids:
            async with self.sessions() as session, session.begin():
                await session.execute(update(RunLease).where(RunLease.run_id.in_(run_ids)).values(renewed_at=func.now()))

    async def release(self, run_id: UUID) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(delete(RunLease).where(RunLease.run_id == run_id))

    async def running(self, project_id: UUID) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(RunLease).where(
                RunLease.project_id == project_id)) or 0)
