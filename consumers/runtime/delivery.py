"""What to do with a message after its handler ran: ack, retry later, or dead-letter.

FastStream's default terminates a message whose handler raised; Cognitest consumers run with
manual acks and decide here instead: a transient failure is retried with a growing delay, a
message that can never succeed goes to the dead-letter stream with the reason, then is terminated."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5
from contextlib import asynccontextmanager

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from cognitest.consumers.runtime.transient import is_transient
from cognitest.infra.bus.dlq import dead_letter
from cognitest.infra.bus.publisher import encode
from cognitest.infra.metrics import DEAD_LETTERS, RETRIES
from cognitest.infra.settings import BusSettings
from cognitest.infra.tracing import consuming
from cognitest.schemas import Envelope, InvalidEvent, UnknownEventType, new_event, parse_event
from cognitest.schemas.events.issues import EventDeadLettered

T = TypeVar("T")
log = structlog.get_logger(__name__)


def delivered_count(msg: Msg) -> int:
    try:
        return msg.metadata.num_delivered or 1
    except Exception:  # noqa: BLE001  a message without JetStream metadata (core NATS) counts as first delivery
        return 1


def stream_seq(msg: Msg) -> int:
    try:
        return msg.metadata.sequence.stream
    except Exception:  # noqa: BLE001  no JetStream metadata (core NATS): no stream sequence
        return 0


async def to_dead_letter(js: JetStreamContext, consumer: str, msg: Msg, reason: str) -> None:
    await dead_letter(
        js, consumer=consumer, reason=reason, subject=msg.subject, stream_seq=stream_seq(msg),
        delivered=delivered_count(msg), data=msg.data, headers=dict(msg.headers or {}),
    )
    await msg.term()
    DEAD_LETTERS.labels(consumer).inc()
    log.warning("event.dead_lettered", consumer=consumer, subject=msg.subject, seq=stream_seq(msg), reason=reason)
    await _announce(js, consumer, msg, reason)


async def _announce(js: JetStreamContext, consumer: str, msg: Msg, reason: str) -> None:
    """Tell the project (and its notification rules) that a message was dead-lettered. Never for
    an announcement itself, and never at the cost of the dead-lettering, which already happened."""
    parts = msg.subject.split(".")
    if len(parts) < 4 or ".".join(parts[3:]) == "event.dead_lettered":
        return
    try:
        project = str(UUID(parts[2]))
        original = (msg.headers or {}).get("Nats-Msg-Id")
        payload = EventDeadLettered(consumer=consumer, reason=reason[:2000], stream_seq=stream_seq(msg),
                                    event_type=".".join(parts[3:])[:128], original_event_id=original[:128] if original else None)
        event = new_event(payload, project_id=project, actor=consumer,
                          event_id=str(uuid5(NAMESPACE_URL, f"cognitest:dlq:{consumer}:{stream_seq(msg)}")))
        subject, body, headers = encode(event)
        await js.publish(subject, body, headers=headers)
    except Exception as exc:  # noqa: BLE001  a bad subject, or the bus away: the dead letter stands on its own
        log.info("event.dead_letter_not_announced", consumer=consumer, error=f"{type(exc).__name__}: {exc}")


async def retry_or_dead_letter(js: JetStreamContext, consumer: str, msg: Msg, bus: BusSettings, reason: str) -> bool:
    """Retry later while deliveries remain; on the last one, dead-letter. True if dead-lettered."""
    delivered = delivered_count(msg)
    if delivered >= bus.max_deliver:
        await to_dead_letter(js, consumer, msg, f"gave up after {delivered} deliveries: {reason}")
        return True
    delay = bus.backoff(delivered)
    await msg.nak(delay=delay)
    RETRIES.labels(consumer).inc()
    log.info("event.retry", consumer=consumer, seq=stream_seq(msg), delivered=delivered, delay=delay, reason=reason)
    return False


async def until_available(msgs: list[Msg], bus: BusSettings, attempt: Callable[[], Awaitable[T]], bound: Any,
                          max_wait: float = 3600.0) -> T:
    """Run `attempt`; while it fails because a service (PostgreSQL, NATS, Temporal) is away, wait
    with backoff and keep the messages from being redelivered, so an outage burns no deliveries
    and no message reaches `max_deliver` because of it. Other failures are raised."""
    tries, waited = 0, 0.0
    while True:
        try:
            return await attempt()
        except Exception as exc:
            if not is_transient(exc) or waited >= max_wait:
                raise
            tries += 1
            delay = bus.backoff(tries)
            bound.warning("consumer.service_unavailable", attempt=tries, retry_in=delay,
                          error=f"{type(exc).__name__}: {str(exc)[:300]}")
            async with heartbeat(msgs, max(min(bus.ack_wait / 3, delay), 0.1)):
                await asyncio.sleep(delay)
            waited += delay


async def ack_or_retry(js: JetStreamContext, consumer: str, msg: Msg, bus: BusSettings,
                       attempt: Callable[[], Awaitable[Any]], bound: Any) -> bool:
    """Run the work (waiting out outages), then ack; if it fails otherwise (a bug, bad data),
    retry later with backoff and dead-letter once deliveries run out. True when acknowledged."""
    try:
        await until_available([msg], bus, attempt, bound)
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


Wants = Callable[[str, str], Awaitable[bool]]  # (project, event type) -> is the event worth parsing?


async def _wanted(wants: Wants, project: str, event_type: str) -> bool:
    try:
        return await wants(project, event_type)
    except Exception:  # noqa: BLE001  cannot tell (the database is away): let the handler decide, and wait
        return True


def per_event(js: JetStreamContext, consumer: str, handle: Callable[[Envelope, Msg], Awaitable[None]],
              *, watcher: bool = False, wants: Wants | None = None,
              received: Callable[[list[Msg]], None] | None = None) -> Callable[[list[Msg]], Awaitable[None]]:  # type: ignore[type-arg]
    """A batch handler for consumers whose work is one event at a time: each message is parsed
    (or dead-lettered when it can never be an event) and handed over with its message, which the
    handler acks, retries or dead-letters. A `watcher` sees every event only to react to some: a
    message that is not an event is left to the projection's dead letter (one entry, not one per
    consumer) and acknowledged here, and `wants` (from the subject alone) lets it acknowledge the
    events nothing reacts to without parsing them. `received` sees each batch before it is handled
    (see runtime/fresh.py)."""

    async def handle_batch(msgs: list[Msg]) -> None:
        if received is not None:
            received(msgs)
        for msg in msgs:
            parts = msg.subject.split(".", 3)
            if wants is not None and len(parts) == 4 and not await _wanted(wants, parts[2], parts[3]):
                await msg.ack()
                continue
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
                with consuming(consumer, event):
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
