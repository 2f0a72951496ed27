"""Projects batches of events into the read models.

A batch is parsed, applied in one transaction with its applied-event records, then acked.
Bad messages (not JSON, unknown type, invalid payload, subject mismatch) are dead-lettered at
once. If the batch fails for a reason that is not "the database is away", each message is
applied on its own so that one bad event cannot hold back the others."""

import asyncio
import json
from collections import defaultdict
from typing import Any

import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from cognitest.consumers.runtime.delivery import (
    delivered_count,
    retry_or_dead_letter,
    stream_seq,
    to_dead_letter,
    until_available,
)
from cognitest.infra.cache import ReadCache, touched
from cognitest.infra.projection import Incoming, NotYetApplicable, PermanentError, apply_batch
from cognitest.infra.metrics import FEEDBACK
from cognitest.infra.settings import BusSettings
from cognitest.infra.tracing import consuming_batch
from cognitest.schemas import InvalidEvent, UnknownEventType, parse_event
from cognitest.schemas.subjects import applied_subject, event_subject

CONSUMER = "projection"
log = structlog.get_logger(__name__)


class ProjectionHandler:
    def __init__(self, sessions: async_sessionmaker, nc: Client, js: JetStreamContext, bus: BusSettings,
                 cache: ReadCache | None = None) -> None:
        self.sessions = sessions
        self.nc = nc
        self.js = js
        self.bus = bus
        self.cache = cache

    async def handle(self, msgs: list[Msg]) -> None:
        parsed: list[tuple[Msg, Incoming]] = []
        for msg in msgs:
            item = await self._parse(msg)
            if item is not None:
                parsed.append((msg, item))
        if not parsed:
            return
        with consuming_batch(CONSUMER, [item.event for _, item in parsed]):
            await self._apply_parsed(parsed)

    async def _apply_parsed(self, parsed: list[tuple[Msg, Incoming]]) -> None:
        try:
            applied = await self._apply_with_db_retry([i for _, i in parsed], [m for m, _ in parsed])
        except Exception as exc:  # noqa: BLE001  one bad event must not block the batch: isolate it
            log.info("projection.batch_failed", size=len(parsed), error=_describe(exc))
            for msg, item in parsed:
                await self._one(msg, item)
            return
        for msg, _ in parsed:
            await msg.ack()
        _count(applied)
        await self._notify(applied, {})

    async def _parse(self, msg: Msg) -> Incoming | None:
        try:
            event = parse_event(msg.data)
        except (InvalidEvent, UnknownEventType) as exc:
            await to_dead_letter(self.js, CONSUMER, msg, str(exc))
            await self._notify_failed(msg.data, str(exc))
            return None
        if msg.subject != event_subject(event.subject, event.type):
            reason = f"subject {msg.subject!r} does not match the event's project and type"
            await to_dead_letter(self.js, CONSUMER, msg, reason)
            await self._notify_failed(msg.data, reason)
            return None
        return Incoming(stream_seq(msg), event)

    async def _one(self, msg: Msg, item: Incoming) -> None:
        log_ = log.bind(event_id=item.event.id, event_type=item.event.type, project=item.event.subject,
                        correlation_id=item.event.correlationid)
        try:
            applied = await self._apply_with_db_retry([item], [msg])
        except (NotYetApplicable, IntegrityError) as exc:
            if await retry_or_dead_letter(self.js, CONSUMER, msg, self.bus, _describe(exc)):
                await self._notify([], {item.event.id: (item.event.subject, _describe(exc))})
            return
        except Exception as exc:
            if _never_applicable(exc):  # dead-lettered at once, never retried as if the database were away
                await to_dead_letter(self.js, CONSUMER, msg, _describe(exc))
                await self._notify([], {item.event.id: (item.event.subject, _describe(exc))})
                return
            log_.exception("projection.error", delivered=delivered_count(msg))  # a bug: retry, then dead-letter
            if await retry_or_dead_letter(self.js, CONSUMER, msg, self.bus, _describe(exc)):
                await self._notify([], {item.event.id: (item.event.subject, _describe(exc))})
            return
        await msg.ack()
        log_.debug("projection.applied", seq=item.seq)
        _count(applied)
        await self._notify(applied, {})

    async def _apply_with_db_retry(self, items: list[Incoming], msgs: list[Msg]) -> list[Incoming]:
        """Apply and commit; while the database is unreachable, wait (extending the messages'
        ack deadline) instead of burning deliveries."""
        async def attempt() -> list[Incoming]:
            async with self.sessions() as session, session.begin():
                return await apply_batch(session, items)

        return await until_available(msgs, self.bus, attempt, log)

    async def _notify(self, applied: list[Incoming], failed: dict[str, tuple[str, str]]) -> None:
        """Tell waiting API requests (`?wait=true`) that their events are applied or refused, after
        dropping the cached lists they changed (so the caller's next read is fresh)."""
        stale: set[tuple[str, str]] = set()
        if self.cache is not None and applied:
            pairs = touched([(i.event.subject, i.event.type) for i in applied])
            try:
                await asyncio.wait_for(self.cache.invalidate(pairs), 2.0)
            except Exception as exc:  # noqa: BLE001  the bus may be away (or the bucket electing a leader)
                # the API processes are told to read these lists from the database until cached
                # answers of the old generation have expired
                log.warning("projection.cache_not_invalidated", error=_describe(exc))
                stale = pairs
        by_project: dict[str, dict[str, Any]] = defaultdict(lambda: {"applied": [], "failed": {}})
        for project, resource in stale:
            by_project[project].setdefault("stale", []).append(resource)
        for item in applied:
            by_project[item.event.subject]["applied"].append(item.event.id)
        for event_id, (project, reason) in failed.items():
            by_project[project]["failed"][event_id] = reason
        for project, body in by_project.items():
            try:
                await self.nc.publish(applied_subject(project), json.dumps(body).encode())
            except Exception:  # noqa: BLE001  a missed notice only makes a waiter fall back to polling
                log.debug("projection.notify_failed", project=project)

    async def _notify_failed(self, data: bytes, reason: str) -> None:
        try:
            raw = json.loads(data)
            event_id, project = str(raw["id"]), str(raw["subject"])
        except (ValueError, KeyError, TypeError):
            return
        await self._notify([], {event_id: (project, reason)})


def _count(applied: list[Incoming]) -> None:
    """Metrics of what was applied (once per event: duplicates are not in `applied`)."""
    for item in applied:
        if item.event.type == "feedback.recorded":
            FEEDBACK.labels(item.event.data.agent, item.event.data.verdict.value).inc()


def _never_applicable(exc: BaseException) -> bool:
    """The event itself is wrong, whatever the retries: refused by a handler, or a value PostgreSQL
    can never store (a data exception, SQLSTATE class 22: a NUL in text, an out-of-range number)."""
    if isinstance(exc, (PermanentError, ValueError, TypeError, KeyError, DataError)):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    for candidate in (exc.orig, getattr(exc.orig, "__cause__", None)):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(state, str) and state.startswith("22"):
            return True
    return False


def _describe(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:1000]
