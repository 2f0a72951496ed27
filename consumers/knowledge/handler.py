"""Batches of events -> knowledge operations -> one embedding call and one upsert per batch.

A message that is not an event is acknowledged here (the projection dead-letters it once); a
store or embedding provider that is away is waited out without burning deliveries; anything else
is retried, then dead-lettered. `knowledge.reembed_requested` rebuilds the project's points from
its events."""

import time
from typing import Any

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from cognitest.consumers.runtime.delivery import heartbeat, retry_or_dead_letter, stream_seq, until_available
from cognitest.consumers.knowledge.replay import replay_into
from cognitest.infra.knowledge.documents import SUBJECTS, operations
from cognitest.infra.knowledge.store import family_totals
from cognitest.infra.knowledge.writer import KnowledgeWriter
from cognitest.infra.metrics import KNOWLEDGE_POINTS
from cognitest.infra.settings import BusSettings
from cognitest.infra.tracing import consuming_batch
from cognitest.schemas import InvalidEvent, UnknownEventType, parse_event

CONSUMER = "knowledge"
log = structlog.get_logger(__name__)


class KnowledgeConsumer:
    def __init__(self, writer: KnowledgeWriter, js: JetStreamContext, bus: BusSettings) -> None:
        self.writer = writer
        self.js = js
        self.bus = bus
        self._counted = 0.0
        self._points: dict[str, int] | None = None  # points per collection, for the gauge
        self._touched: set[str] = set()

    async def count_points(self, every: float = 5.0) -> None:
        """Refresh the points gauge, at most every `every` seconds: every collection once (and
        after a re-embed), then only the collections of the projects batches touched since."""
        now = time.monotonic()
        if now - self._counted < every:
            return
        self._counted = now
        store = self.writer.store
        try:
            if self._points is None:
                self._points = await store.point_counts()
            for project in self._touched:
                self._points[store.name_for(project)] = await store.size(project)
            self._touched.clear()
            for family, n in family_totals(self._points).items():
                KNOWLEDGE_POINTS.labels(family).set(n)
        except Exception as exc:  # noqa: BLE001  a gauge must never fail a batch
            log.debug("knowledge.count_failed", error=type(exc).__name__)

    async def handle(self, msgs: list[Msg]) -> None:
        events: list[tuple[Msg, Any]] = []
        for msg in msgs:
            try:
                events.append((msg, parse_event(msg.data)))
            except (InvalidEvent, UnknownEventType) as exc:
                log.info("event.ignored_invalid", consumer=CONSUMER, seq=stream_seq(msg), reason=str(exc)[:200])
                await msg.ack()
        if not events:
            return
        with consuming_batch(CONSUMER, [e for _, e in events]):
            ops = [(stream_seq(msg), op) for msg, event in events for op in operations(event, stream_seq(msg))]
            bound = log.bind(consumer=CONSUMER, size=len(events))
            try:
                done = await until_available([m for m, _ in events], self.bus, lambda: self.writer.apply(ops), bound)
            except Exception as exc:  # noqa: BLE001  one bad event must not hold back the others
                bound.warning("knowledge.batch_failed", error=f"{type(exc).__name__}: {exc}")
                await self._one_by_one(events)
                return
            for msg, event in events:
                await self._finish(msg, event)
        if ops:
            bound.debug("knowledge.applied", **done)
        self._touched.update(event.subject for _, event in events)
        await self.count_points()

    async def _one_by_one(self, events: list[tuple[Msg, Any]]) -> None:
        """Apply each event on its own: the good ones are acknowledged, a failing one is retried
        later and dead-lettered when its deliveries run out."""
        for msg, event in events:
            bound = log.bind(consumer=CONSUMER, event_id=event.id, project=event.subject, event_type=event.type)
            try:
                await self.writer.apply([(stream_seq(msg), op) for op in operations(event, stream_seq(msg))])
            except Exception as exc:  # noqa: BLE001  whatever it was, the message is kept
                bound.warning("knowledge.event_failed", error=f"{type(exc).__name__}: {exc}")
                await retry_or_dead_letter(self.js, CONSUMER, msg, self.bus, f"{type(exc).__name__}: {exc}")
                continue
            await self._finish(msg, event)

    async def _finish(self, msg: Msg, event: Any) -> None:
        if event.type == "knowledge.reembed_requested":
            async with heartbeat([msg], max(self.bus.ack_wait / 3, 0.5)):
                await self.reembed(event.subject, event.id)
        await msg.ack()

    async def reembed(self, project: str | None, event_id: str | None = None) -> None:
        """Rebuild one project's points (or every project's, when None) from the event stream."""
        bound = log.bind(project=project, event_id=event_id)
        if project is not None:
            await self.writer.store.delete_project(project)
        report = await replay_into(self.js, self.writer, project, SUBJECTS)
        bound.info("knowledge.reembedded", collection=self.writer.store.collection, **report)
        self._counted, self._points = 0.0, None  # count every collection again
        await self.count_points()
