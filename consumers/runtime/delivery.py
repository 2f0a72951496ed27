"""What to do with a message after its handler ran: ack, retry later, or dead-letter.

FastStream's default terminates a message whose handler raised; Cognitest consumers run with
manual acks and decide here instead: a transient failure is retried with a growing delay, a
message that can never succeed goes to the dead-letter stream with the reason, then is terminated."""

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


async def parse_or_dead_letter(js: JetStreamContext, consumer: str, msg: Msg) -> Envelope | None:  # type: ignore[type-arg]
    """The typed event, or None after dead-lettering a message that can never be one."""
    try:
        return parse_event(msg.data)
    except (InvalidEvent, UnknownEventType) as exc:
        await to_dead_letter(js, consumer, msg, str(exc))
        return None


async def one_by_one(handle, msgs: list[Msg]) -> None:  # type: ignore[no-untyped-def]
    """Handle a batch message by message (consumers whose work is per event)."""
    for msg in msgs:
        await handle(msg)
