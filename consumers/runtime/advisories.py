"""JetStream only publishes an advisory when a message runs out of deliveries (for example a
handler that crashes the process every time); the message itself stays in the stream. This
listener copies such messages to the dead-letter stream so they are never silently lost."""

import json

import structlog
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from cognitest.infra.bus.dlq import dead_letter
from cognitest.schemas.subjects import EVENTS_STREAM

log = structlog.get_logger(__name__)


def max_deliveries_subject(consumer: str) -> str:
    return f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{EVENTS_STREAM}.{consumer}"


async def on_max_deliveries(js: JetStreamContext, consumer: str, advisory: bytes) -> None:
    try:
        body = json.loads(advisory)
        seq = int(body["stream_seq"])
        deliveries = int(body.get("deliveries", 0))
    except (ValueError, KeyError, TypeError):
        log.warning("advisory.unreadable", consumer=consumer)
        return
    try:
        original = await js.get_msg(EVENTS_STREAM, seq)
    except NotFoundError:
        return
    await dead_letter(
        js, consumer=consumer, reason=f"no acknowledgement after {deliveries} deliveries (handler crashed or timed out)",
        subject=original.subject or "", stream_seq=seq, delivered=deliveries, data=original.data or b"",
        headers=dict(original.headers or {}),
    )
    log.warning("event.dead_lettered", consumer=consumer, seq=seq, reason="max deliveries")
