"""Waiting until the projection has applied an event (`?wait=true`).

The projection publishes a notice on `cognitest.applied.<project>` after each commit; a waiter
also polls the applied-events table, so a missed notice costs latency, never correctness."""

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import structlog
from nats.aio.client import Client
from sqlalchemy.ext.asyncio import async_sessionmaker

from cognitest.infra.db.queries import event_applied
from cognitest.schemas.subjects import APPLIED_PREFIX

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Outcome:
    applied: bool
    reason: str | None = None  # set when the projection refused the event


class ProjectionWaiter:
    def __init__(self, nc: Client, sessions: async_sessionmaker, on_stale: Any = None) -> None:
        self._on_stale = on_stale  # called with [(project, resource)] the projection could not invalidate
        self._nc = nc
        self._sessions = sessions
        self._futures: dict[str, asyncio.Future[Outcome]] = {}
        self._sub = None

    async def start(self) -> None:
        self._sub = await self._nc.subscribe(f"{APPLIED_PREFIX}.>", cb=self._on_notice)

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()

    async def _on_notice(self, msg) -> None:  # type: ignore[no-untyped-def]
        try:
            body = json.loads(msg.data)
        except ValueError:
            return
        for event_id in body.get("applied", []):
            self._resolve(event_id, Outcome(True))
        for event_id, reason in body.get("failed", {}).items():
            self._resolve(event_id, Outcome(False, reason))
        if body.get("stale") and self._on_stale is not None:
            project = msg.subject.rsplit(".", 1)[-1]
            self._on_stale([(project, resource) for resource in body["stale"]])

    def _resolve(self, event_id: str, outcome: Outcome) -> None:
        future = self._futures.get(event_id)
        if future is not None and not future.done():
            future.set_result(outcome)

    def expect(self, event_id: str) -> asyncio.Future[Outcome]:
        """Register interest before publishing, so a fast projection cannot be missed."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._futures[event_id] = future
        return future

    def forget(self, event_id: str) -> None:
        self._futures.pop(event_id, None)

    async def wait(self, event_id: str, future: asyncio.Future[Outcome], timeout: float) -> Outcome | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        interval = 0.05
        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return None
                try:
                    return await asyncio.wait_for(asyncio.shield(future), min(interval, remaining))
                except TimeoutError:
                    pass
                async with self._sessions() as session:
                    if await event_applied(session, event_id):
                        return Outcome(True)
                interval = min(interval * 2, 0.5)
        finally:
            self._futures.pop(event_id, None)
