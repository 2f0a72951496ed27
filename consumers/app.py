"""The consumers' FastStream application: subscribers, wiring, and the AsyncAPI document.

Every subscriber is a durable pull consumer (scalable by running more processes) with manual
acknowledgement; delivery decisions live in `consumers.runtime.delivery`."""

from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog
from faststream import FastStream
from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from faststream.specification import AsyncAPI

from cognitest.consumers.bootstrap.handler import CONSUMER as BOOTSTRAP, BootstrapStarter
from cognitest.consumers.projection.handler import CONSUMER as PROJECTION, ProjectionHandler
from cognitest.consumers.runtime.batcher import MicroBatcher
from cognitest.consumers.runtime.advisories import max_deliveries_subject, on_max_deliveries
from cognitest.infra.bus.streams import durable_consumer, ensure_streams
from cognitest.infra.db.engine import make_engine, session_factory
from cognitest.infra.settings import Settings
from cognitest.infra.temporal import connect_temporal
from cognitest.schemas import registry
from cognitest.schemas.subjects import EVENTS_PREFIX, EVENTS_STREAM

log = structlog.get_logger(__name__)
GROUPS = ("projection", "bootstrap")


@dataclass
class Wiring:
    projection: ProjectionHandler | None = None
    batcher: MicroBatcher[Any] | None = None
    bootstrap: BootstrapStarter | None = None
    closers: list[Any] = field(default_factory=list)


async def _raw(msg: Any) -> Any:
    """Keep bodies as bytes: each handler parses and validates events itself, so one bad
    message is dead-lettered alone instead of failing a whole batch in the decoder."""
    raw = msg.raw_message
    return [m.data for m in raw] if isinstance(raw, list) else raw.data


def build_app(settings: Settings, groups: tuple[str, ...] = GROUPS) -> FastStream:
    bus = settings.bus
    broker = NatsBroker(settings.nats.effective_url, max_reconnect_attempts=-1, reconnect_time_wait=0.5,
                        logger=None, graceful_timeout=15)
    wiring = Wiring()
    stream = JStream(EVENTS_STREAM, declare=False)

    if "projection" in groups:
        @broker.subscriber(
            f"{EVENTS_PREFIX}.>", stream=stream, durable=PROJECTION,
            config=durable_consumer(PROJECTION, bus),
            pull_sub=PullSub(batch_size=bus.batch_size, timeout=bus.fetch_timeout),
            ack_policy=AckPolicy.MANUAL, decoder=_raw,
            title="projection", description="Applies every event to the PostgreSQL read models.",
        )
        async def project(body: bytes, message: NatsMessage) -> None:
            assert wiring.batcher is not None
            await wiring.batcher.submit(message.raw_message)

    if "bootstrap" in groups:
        bootstrap_filter = f"{EVENTS_PREFIX}.*.project.created"

        @broker.subscriber(
            bootstrap_filter, stream=stream, durable=BOOTSTRAP,
            config=durable_consumer(BOOTSTRAP, bus, bootstrap_filter),
            pull_sub=PullSub(batch_size=16, timeout=0.5), ack_policy=AckPolicy.MANUAL, decoder=_raw,
            title="project-bootstrap", description="Starts the ProjectBootstrap workflow for each new project.",
        )
        async def bootstrap(body: bytes, message: NatsMessage) -> None:
            assert wiring.bootstrap is not None
            await wiring.bootstrap.handle(message.raw_message)

    for consumer in (PROJECTION, BOOTSTRAP):
        @broker.subscriber(max_deliveries_subject(consumer), include_in_schema=False, decoder=_raw)
        async def dead_letter_exhausted(body: bytes, _consumer: str = consumer) -> None:
            await on_max_deliveries(broker.config.connection_state.stream, _consumer, body)

    for event_type, payload in registry.items():
        broker.publisher(
            f"{EVENTS_PREFIX}.{{project}}.{event_type}",
            schema=registry.envelope(event_type),
            title=event_type,
            description=getattr(payload, "__event_description__", ""),
        )

    @asynccontextmanager
    async def lifespan():  # type: ignore[no-untyped-def]
        await broker.connect()
        state = broker.config.connection_state
        nc, js = state.connection, state.stream
        await ensure_streams(js, bus)
        engine = make_engine(settings.database.effective_url, pool_size=settings.database.pool_size)
        wiring.projection = ProjectionHandler(session_factory(engine), nc, js, bus)
        wiring.batcher = MicroBatcher(wiring.projection.handle, max_size=bus.batch_size, linger=bus.batch_linger)
        if "bootstrap" in groups:
            temporal = await connect_temporal(settings.temporal)
            wiring.bootstrap = BootstrapStarter(temporal, js, bus, settings.temporal)
        log.info("consumers.started", groups=list(groups), nats=settings.nats.effective_url)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastStream(broker, lifespan=lifespan, specification=AsyncAPI(
        title="Cognitest events", version="1.0.0",
        description="Every Cognitest event on NATS JetStream: subjects are cognitest.events.<project>.<type>; "
                    "payloads are CloudEvents 1.0 envelopes.",
    ))
    return app


def asyncapi_document(settings: Settings) -> dict[str, Any]:
    app = build_app(settings)
    return app.schema.to_specification().to_jsonable()  # type: ignore[union-attr]
