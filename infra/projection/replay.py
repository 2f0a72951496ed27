"""Rebuild the read models from the stream: every event from sequence 1, through the same
projector the live consumer uses, into an empty database."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import func, select, text

from cognitest.infra.bus.connection import connect
from cognitest.infra.db import models as m
from cognitest.infra.db.engine import make_engine, session_factory
from cognitest.infra.db.migrate import upgrade
from cognitest.infra.projection.projector import Incoming, apply_batch
from cognitest.schemas import InvalidEvent, UnknownEventType, parse_event
from cognitest.schemas.subjects import EVENTS_PREFIX, EVENTS_STREAM, event_subject


class NotEmpty(RuntimeError):
    pass


@dataclass
class ReplayReport:
    events: int = 0
    applied: int = 0
    skipped: int = 0
    last_seq: int = 0


def read_model_tables() -> list[str]:
    return [t.name for t in reversed(m.Base.metadata.sorted_tables)]


async def reset(url: str) -> None:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("TRUNCATE " + ", ".join(read_model_tables()) + " CASCADE"))
    finally:
        await engine.dispose()


async def replay(nats_url: str, database_url: str, *, batch_size: int = 1000, force: bool = False,
                 progress: Callable[[ReplayReport], None] | None = None,
                 auth: dict[str, Any] | None = None) -> ReplayReport:
    await upgrade(database_url)
    if force:
        await reset(database_url)
    engine = make_engine(database_url, pool_size=2)
    sessions = session_factory(engine)
    nc = await connect(nats_url, "cognitest-replay", auth=auth)
    report = ReplayReport()
    try:
        async with sessions() as session:
            if await session.scalar(select(func.count()).select_from(m.AppliedEvent)):
                raise NotEmpty("the target database already has projected events: replay into an empty "
                               "database, or pass --force to clear its read models first")
        js = nc.jetstream()
        info = await js.stream_info(EVENTS_STREAM)
        end = info.state.last_seq
        if info.state.messages == 0:
            return report
        sub = await js.subscribe(f"{EVENTS_PREFIX}.>", ordered_consumer=True, stream=EVENTS_STREAM,
                                 config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL))
        pending: list[Incoming] = []
        while report.last_seq < end:
            try:
                msg = await sub.next_msg(timeout=5)
            except TimeoutError:
                break
            report.events += 1
            report.last_seq = msg.metadata.sequence.stream
            try:
                event = parse_event(msg.data)
            except (InvalidEvent, UnknownEventType):
                event = None
            if event is None or msg.subject != event_subject(event.subject, event.type):
                report.skipped += 1  # the live consumer dead-lettered it too
            else:
                pending.append(Incoming(report.last_seq, event))
            if len(pending) >= batch_size or report.last_seq >= end:
                await _apply(sessions, pending, report)
                pending = []
                if progress:
                    progress(report)
        await _apply(sessions, pending, report)
        await sub.unsubscribe()
        return report
    finally:
        await nc.drain()
        await engine.dispose()


async def _apply(sessions, items: list[Incoming], report: ReplayReport) -> None:  # type: ignore[no-untyped-def]
    if not items:
        return
    try:
        async with sessions() as session, session.begin():
            report.applied += len(await apply_batch(session, items))
        return
    except Exception:  # noqa: BLE001  isolate the events that fail, exactly as the live consumer does
        pass
    for item in items:
        try:
            async with sessions() as session, session.begin():
                report.applied += len(await apply_batch(session, [item]))
        except Exception:  # noqa: BLE001  the event is counted as skipped, as the live consumer dead-letters it
            report.skipped += 1
