"""Streams and durable consumers, declared in code and created idempotently at start-up."""

from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError

from cognitest.infra.settings import BusSettings
from cognitest.schemas.subjects import DLQ_PREFIX, DLQ_STREAM, EVENTS_PREFIX, EVENTS_STREAM

# NATS refuses larger messages by default; bigger content goes to the blob store (dataref).
MAX_EVENT_BYTES = 1_000_000


def events_stream(bus: BusSettings) -> StreamConfig:
    return StreamConfig(
        name=EVENTS_STREAM,
        description="Every Cognitest event; the source of truth the read models are built from.",
        subjects=[f"{EVENTS_PREFIX}.>"],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        duplicate_window=bus.duplicate_window,
        max_msg_size=MAX_EVENT_BYTES,
        allow_direct=True,
        num_replicas=bus.replicas,
    )


def dlq_stream(bus: BusSettings) -> StreamConfig:
    return StreamConfig(
        name=DLQ_STREAM,
        description="Messages a consumer could not process, with the reason, waiting to be re-driven.",
        subjects=[f"{DLQ_PREFIX}.>"],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        duplicate_window=bus.duplicate_window,
        allow_direct=True,
        num_replicas=bus.replicas,
    )


def durable_consumer(name: str, bus: BusSettings, filter_subject: str | tuple[str, ...] = f"{EVENTS_PREFIX}.>",
                     new_only: bool = False) -> ConsumerConfig:
    """A pull consumer shared by every copy of a consumer process (queue semantics). `new_only`
    consumers (reactions such as triggers and alerts) start at the stream's end when created."""
    return ConsumerConfig(
        durable_name=name,
        description=f"Cognitest consumer {name}",
        deliver_policy=DeliverPolicy.NEW if new_only else DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=bus.ack_wait,
        max_deliver=bus.max_deliver,
        filter_subject=filter_subject if isinstance(filter_subject, str) else None,
        filter_subjects=list(filter_subject) if not isinstance(filter_subject, str) else None,
        max_ack_pending=max(bus.batch_size * 4, 1000),
        max_waiting=512,
    )


async def ensure_streams(js: JetStreamContext, bus: BusSettings) -> None:
    for config in (events_stream(bus), dlq_stream(bus)):
        try:
            await js.stream_info(config.name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)


async def ensure_consumer(js: JetStreamContext, config: ConsumerConfig) -> None:
    """Create the durable consumer, or bring an existing one to the declared settings."""
    await js.add_consumer(EVENTS_STREAM, config)
