"""What to do with a message after its handler ran: ack, retry later, or dead-letter.

FastStream's default terminates a message whose handler raised; Cognitest consumers run with
manual acks and decide here instead: a transient failure is retried with a growing delay, a
message that can never succeed goes to the dead-letter stream with the reason, then is terminated."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from contextlib import asynccontextmanager

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from cognitest.infra.bus.dlq import dead_letter
from cognitest.infra.settings import BusSettings
from cognitest.schemas import Envelope, InvalidEvent, UnknownEventType, parse_event

log = structlog.get_logger(__name__)


def delivered_count(msg: Msg) -> int:
    try:
        return msg.metadata.num_delivered or 1
    except Exception:  # a message without JetStream metadata (core NATS) counts as first delivery
        return 1


def stream_seq(msg: Msg) -> int:
    try:
        return msg.metadata.sequence.stream
    except Exception:
        return 0


async def to_dead_letter(js: JetStreamContext, consumer: str, msg: Msg, reason: str) -> None:
    await dead_letter(
        js, consumer=consumer, reason=reason, subject=msg.subject, stream_seq=stream_seq(msg),
        delivered=delivered_count(msg), data=msg.data, headers=dict(msg.headers or {}),
    )
    await msg.term()
    log.warning("event.dead_lettered", consumer=consumer, subject=msg.subject, seq=stream_seq(msg), reason=reason)


async def retry_or_dead_letter(js: JetStreamContext, consumer: str, msg: Msg, bus: BusSettings, reason: str) -> bool:
    """Retry later while deliveries remain; on the last one, dead-letter. True if dead-lettered."""
    delivered = delivered_count(msg)
    if delivered >= bus.max_deliver:
        await to_dead_letter(js, consumer, msg, f"gave up after {delivered} deliveries: {reason}")
        return True
    delay = bus.backoff(delivered)
    await msg.nak(delay=delay)
    log.info("event.retry", consumer=consumer, seq=stream_seq(msg), delivered=delivered, delay=delay, reason=reason)
    return False


async def ack_or_retry(js: JetStreamContext, consumer: str, msg: Msg, bus: BusSettings, work: Awaitable[Any],
                       bound: Any) -> bool:
    """Await the work, then ack; if it raises (a service away, a bug), retry later with backoff
    and dead-letter once deliveries run out. True when acknowledged."""
    try:
        await work
    except Exception as exc:  # noqa: BLE001  whatever it was, the message is kept
        reason = f"{type(exc).__name__}: {exc}"
        bound.warning("event.handler_failed", consumer=consumer, error=reason)
        await retry_or_dead_letter(js, consumer, msg, bus, reason)
        return False
    await msg.ack()
    return True


async def parse_or_dead_letter(js: JetStreamContext, consumer: str, msg: Msg) -> Envelope | None:  # type: ignore[type-arg]
    """The typed event, or None after dead-lettering a message that can never be one."""
    try:
        return parse_event(msg.data)
    except (InvalidEvent, UnknownEventType) as exc:
        await to_dead_letter(js, consumer, msg, str(exc))
        return None


def per_event(js: JetStreamContext, consumer: str, handle: Callable[[Envelope, Msg], Awaitable[None]],
              *, watcher: bool = False) -> Callable[[list[Msg]], Awaitable[None]]:  # type: ignore[type-arg]
    """A batch handler for consumers whose work is one event at a time: each message is parsed
    (or dead-lettered when it can never be an event) and handed over with its message, which the
    handler acks, retries or dead-letters. A `watcher` sees every event only to react to some: a
    message that is not an event is left to the projection's dead letter (one entry, not one per
    consumer) and acknowledged here."""

    async def handle_batch(msgs: list[Msg]) -> None:
        for msg in msgs:
            if watcher:
                try:
                    event = parse_event(msg.data)
                except (InvalidEvent, UnknownEventType) as exc:
                    log.info("event.ignored_invalid", consumer=consumer, seq=stream_seq(msg), reason=str(exc)[:200])
                    await msg.ack()
                    continue
            else:
                event = await parse_or_dead_letter(js, consumer, msg)
            if event is not None:
                await handle(event, msg)

    return handle_batch


@asynccontextmanager
async def heartbeat(msgs: list[Msg], every: float) -> AsyncIterator[None]:
    """Keep messages from being redelivered while they are worked on (in-progress acks)."""

    async def beat() -> None:
        while True:
            for msg in msgs:
                try:
                    await msg.in_progress()
                except Exception:  # noqa: BLE001  the bus may be away; redelivery is then the fallback
                    break
            await asyncio.sleep(every)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
