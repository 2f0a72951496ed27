"""The consumers' process: durable pull consumers with manual acknowledgement, run by
`consumers.runtime.pull`, inside a FastStream application that owns the connection, the
advisory subscriptions and the AsyncAPI document (every subject and payload).

Delivery decisions (ack, retry later, dead-letter) live in `consumers.runtime.delivery`."""

import asyncio
from contextlib import asynccontextmanager
from typing import Any

import structlog
from faststream import FastStream
from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.specification import AsyncAPI

from cognitest.consumers.alerting.handler import CONSUMER as ALERTING, Alerting
from cognitest.consumers.automations.handler import CONSUMER as AUTOMATIONS, AutomationTriggers
from cognitest.consumers.bootstrap import handler as bootstrap
from cognitest.consumers.generation import handler as generation
from cognitest.consumers.knowledge.handler import CONSUMER as KNOWLEDGE
from cognitest.consumers.knowledge.service import start_knowledge
from cognitest.consumers.projection.handler import CONSUMER as PROJECTION, ProjectionHandler
from cognitest.consumers.runtime.advisories import max_deliveries_subject, on_max_deliveries
from cognitest.consumers.execution.handler import CONSUMER as EXECUTION, FILTER as EXECUTION_FILTER, Executor
from cognitest.consumers.security.handler import CONSUMER as SECURITY, FILTER as SECURITY_FILTER, SecurityScanner
from cognitest.consumers.requirements.handler import CONSUMER as REQUIREMENTS, RequirementParser
from cognitest.consumers.runtime.delivery import per_event
from cognitest.consumers.runtime.pull import PullConsumer
from cognitest.consumers.runtime.starter import WorkflowStarter
from cognitest.consumers.triage.handler import CONSUMER as TRIAGE, SUBJECTS as TRIAGE_SUBJECTS, Triage
from cognitest.consumers.triage.sync import CONSUMER as ISSUE_SYNC, SUBJECTS as SYNC_SUBJECTS, IssueSync
from cognitest.infra.automations.outcomes import public_url
from cognitest.infra.blob import blob_store
from cognitest.infra.bus.publisher import EventPublisher
from cognitest.infra.bus.auth import connect_options, url_with_credentials
from cognitest.infra.bus.streams import durable_consumer, ensure_consumer, ensure_streams
from cognitest.infra.cache import ReadCache
from cognitest.infra.db.engine import make_engine, session_factory
from cognitest.infra.integrations.ledger import Ledger
from cognitest.infra.knowledge.documents import SUBJECTS as KNOWLEDGE_SUBJECTS
from cognitest.infra.metrics import CONSUMER_PENDING, CONSUMER_UNACKED, serve
from cognitest.infra.identity.crypto import SecretBox
from cognitest.infra.integrations.outbound import Outbound
from cognitest.infra.settings import Settings
from cognitest.infra.temporal import connect_temporal
from cognitest.infra.triage.remediation_llm import model_remediation
from cognitest.infra.triage.store import TriageStore
from cognitest.schemas import registry
from cognitest.schemas.envelope import Envelope
from cognitest.schemas.subjects import EVENTS_PREFIX, EVENTS_STREAM

log = structlog.get_logger(__name__)
BOOTSTRAP, GENERATION = bootstrap.CONSUMER, generation.CONSUMER
GROUPS = ("projection", "bootstrap", "requirements", "generation", "execution", "automations", "triage", "alerting",
          "knowledge")
DURABLES = {"projection": (PROJECTION,), "bootstrap": (BOOTSTRAP,), "requirements": (REQUIREMENTS,),
            "generation": (GENERATION,), "execution": (EXECUTION, SECURITY), "automations": (AUTOMATIONS,),
            "triage": (TRIAGE, ISSUE_SYNC), "alerting": (ALERTING,), "knowledge": (KNOWLEDGE,)}
FILTERS: dict[str, str | tuple[str, ...]] = {
    PROJECTION: f"{EVENTS_PREFIX}.>",
    BOOTSTRAP: f"{EVENTS_PREFIX}.*.project.created",
    REQUIREMENTS: f"{EVENTS_PREFIX}.*.requirement.uploaded",
    GENERATION: f"{EVENTS_PREFIX}.*.generation.requested",
    EXECUTION: EXECUTION_FILTER,
    SECURITY: SECURITY_FILTER,
    AUTOMATIONS: f"{EVENTS_PREFIX}.>",
    TRIAGE: tuple(f"{EVENTS_PREFIX}.*.{t}" for t in TRIAGE_SUBJECTS),
    ISSUE_SYNC: tuple(f"{EVENTS_PREFIX}.*.{t}" for t in SYNC_SUBJECTS),
    ALERTING: f"{EVENTS_PREFIX}.>",
    KNOWLEDGE: tuple(f"{EVENTS_PREFIX}.*.{t}" for t in KNOWLEDGE_SUBJECTS),
}
# reactions start at the stream's end when first created: they act on what happens from then on
NEW_ONLY = {AUTOMATIONS, TRIAGE, ISSUE_SYNC, ALERTING}
DESCRIPTIONS = {
    PROJECTION: "Applies every event to the PostgreSQL read models (batched, one transaction per batch).",
    BOOTSTRAP: "Starts the ProjectBootstrap Temporal workflow for each new project.",
    REQUIREMENTS: "Parses uploaded requirement documents into atomic requirements (requirement.parsed / .rejected).",
    GENERATION: "Starts the GenerationPipeline Temporal workflow for each generation request.",
    EXECUTION: "Runs test runs (web, mobile, API) and reports each case (run.started, run.case_finished, run.completed...).",
    SECURITY: "Runs passive security scans (security.scan.requested) and files each finding as an issue "
              "(issue.detected / issue.occurred), then security.scan.finished.",
    AUTOMATIONS: "Starts automation executions (run requests, event triggers), keeps schedules in step with definitions, "
                 "and signals executions waiting for a run or generation.",
    TRIAGE: "Turns failed cases into issues (issue.detected / issue.occurred) and labels flaky cases.",
    ISSUE_SYNC: "Files detected issues in JIRA / GitHub and comments on recurrences (issue.linked).",
    ALERTING: "Delivers the projects' notification rules to Slack, webhooks and email (alert.sent).",
    KNOWLEDGE: "Embeds cases, requirements, issues and feedback into the project's knowledge base (Qdrant), in "
               "batches; serves retrieval to the generation workflow on the '<task queue>-knowledge' Temporal queue.",
}
SPECIFICATION = AsyncAPI(
    title="Cognitest events", version="1.0.0",
    description="Every Cognitest event on NATS JetStream: subjects are cognitest.events.<project>.<type>; "
                "payloads are CloudEvents 1.0 envelopes. Failed messages go to cognitest.dlq.<consumer>.<project>.<type>.",
)


def _config(durable: str, settings: Settings) -> Any:
    return durable_consumer(durable, settings.bus, FILTERS[durable], new_only=durable in NEW_ONLY)


def _describe(broker: NatsBroker, groups: tuple[str, ...], settings: Settings) -> None:
    """Declare what the process consumes and what may be published, for the AsyncAPI document.
    These FastStream subscribers are never started: the pull loops do the consuming."""
    stream = JStream(EVENTS_STREAM, declare=False)
    for durable in (d for group in groups for d in DURABLES[group]):
        subjects = FILTERS[durable]
        subject = subjects if isinstance(subjects, str) else subjects[0]
        also = "" if isinstance(subjects, str) else f" Subjects: {', '.join(subjects)}."
        subscriber = broker.subscriber(
            subject, stream=stream, durable=durable, config=_config(durable, settings),
            pull_sub=PullSub(batch_size=settings.bus.batch_size), ack_policy=AckPolicy.MANUAL,
            title=durable, description=DESCRIPTIONS[durable] + also,
        )

        @subscriber
        async def documented(body: Envelope[Any]) -> None:  # pragma: no cover - documentation only
            raise NotImplementedError
    for event_type, payload in registry.items():
        broker.publisher(f"{EVENTS_PREFIX}.{{project}}.{event_type}", schema=registry.envelope(event_type),
                         title=event_type, description=getattr(payload, "__event_description__", ""))


async def _watch_lag(js: Any, durables: list[str], every: float = 5.0) -> None:
    """Keep the lag gauges (pending and unacknowledged messages per durable consumer) current."""
    while True:
        for durable in durables:
            try:
                info = await js.consumer_info(EVENTS_STREAM, durable)
            except Exception:  # noqa: BLE001  the bus may be away; the next round tries again
                continue
            CONSUMER_PENDING.labels(durable).set(info.num_pending or 0)
            CONSUMER_UNACKED.labels(durable).set(info.num_ack_pending or 0)
        await asyncio.sleep(every)


def build_app(settings: Settings, groups: tuple[str, ...] = GROUPS) -> FastStream:
    bus = settings.bus
    auth = connect_options(settings, "consumers")
    broker = NatsBroker(url_with_credentials(settings, "consumers"), max_reconnect_attempts=-1, reconnect_time_wait=0.5,
                        logger=None, inbox_prefix=auth["inbox_prefix"],
                        **({"user_credentials": auth["user_credentials"]} if "user_credentials" in auth else {}))
    runtime: list[PullConsumer] = []
    stoppers: list[Any] = []  # work carried past its handler (runs), stopped after the pull loops

    for consumer in FILTERS:
        @broker.subscriber(max_deliveries_subject(consumer), include_in_schema=False)
        async def dead_letter_exhausted(body: bytes, _consumer: str = consumer) -> None:
            await on_max_deliveries(broker.config.connection_state.stream, _consumer, body)

    @asynccontextmanager
    async def lifespan():  # type: ignore[no-untyped-def]
        await broker.connect()
        state = broker.config.connection_state
        nc, js = state.connection, state.stream
        await ensure_streams(js, bus)
        engine = make_engine(settings.database.effective_url, pool_size=settings.database.pool_size)

        async def run_durable(durable: str, handle: Any, batch_size: int, **options: Any) -> None:
            config = _config(durable, settings)
            await ensure_consumer(js, config)
            runtime.append(PullConsumer(js, config, handle, batch_size=batch_size, **options))

        if "projection" in groups:
            cache = None
            if settings.cache.enabled:
                cache = ReadCache(js, settings.cache.ttl, settings.bus.replicas)
                await cache.start()
            projection = ProjectionHandler(session_factory(engine), nc, js, bus, cache)
            await run_durable(PROJECTION, projection.handle, bus.batch_size, linger=bus.batch_linger)
        # per-event consumers do slow work: no prefetch, so nothing waits unacknowledged behind it
        slow = {"linger": 0.0, "prefetch": False}
        temporal = None
        for group, module in (("bootstrap", bootstrap), ("generation", generation)):
            if group in groups:
                temporal = temporal or await connect_temporal(settings)
                starter = WorkflowStarter(module.CONSUMER, module.planner(settings), temporal, js, bus,
                                          settings.temporal.task_queue)
                await run_durable(module.CONSUMER, per_event(js, module.CONSUMER, starter.handle), 16, **slow)
        publisher = EventPublisher(nc, retries=bus.publish_retries)
        if "requirements" in groups:
            parser = RequirementParser(blob_store(settings), publisher, js, bus, settings.requirements, settings.source)
            await run_durable(REQUIREMENTS, per_event(js, REQUIREMENTS, parser.handle), 4, **slow)
        if "execution" in groups:
            executor = Executor(session_factory(engine), nc, publisher, blob_store(settings), js, bus,
                                settings.execution, settings.source)
            await executor.start()
            stoppers.append(executor.stop)
            await run_durable(EXECUTION, per_event(js, EXECUTION, executor.handle), 1, **slow)
            scanner = SecurityScanner(session_factory(engine), publisher, js, bus, settings.execution, settings.source)
            await run_durable(SECURITY, per_event(js, SECURITY, scanner.handle), 2, **slow)
        if "automations" in groups:
            temporal = temporal or await connect_temporal(settings)
            triggers = AutomationTriggers(session_factory(engine), temporal, js, bus, settings.temporal.task_queue)
            await run_durable(AUTOMATIONS, per_event(js, AUTOMATIONS, triggers.handle, watcher=True, wants=triggers.wants), 64, linger=0.0)
        outbound = Outbound(settings.integrations, box=SecretBox.from_settings(settings))
        ledger = Ledger(session_factory(engine))
        if "triage" in groups:
            triage = Triage(TriageStore(session_factory(engine)), publisher, js, bus, settings.source,
                            model_remediation(settings.llm), public_url(settings))
            await run_durable(TRIAGE, per_event(js, TRIAGE, triage.handle), 16, linger=0.0)
            sync = IssueSync(settings, session_factory(engine), ledger, outbound, publisher, js)
            await run_durable(ISSUE_SYNC, per_event(js, ISSUE_SYNC, sync.handle), 4, **slow)
        if "alerting" in groups:
            alerting = Alerting(settings, session_factory(engine), ledger, outbound, publisher, js)
            await run_durable(ALERTING, per_event(js, ALERTING, alerting.handle, watcher=True, wants=alerting.wants,
                                                             received=alerting.projects.received), 16, **slow)
        if "knowledge" in groups:
            temporal = temporal or await connect_temporal(settings)
            stoppers.extend(await start_knowledge(settings, js, temporal, run_durable))
        for pull in runtime:
            await pull.start()
        serve(settings.metrics.host, settings.metrics.consumers_port, "consumers")
        lag = asyncio.create_task(_watch_lag(js, [p.config.durable_name or "" for p in runtime]))
        log.info("consumers.started", groups=list(groups), nats=settings.nats.effective_url)
        try:
            yield
        finally:
            lag.cancel()
            await outbound.close()
            await engine.dispose()

    app = FastStream(broker, lifespan=lifespan, specification=SPECIFICATION)

    @app.on_shutdown
    async def stop_consuming() -> None:  # before the broker closes its connection
        for pull in runtime:
            await pull.stop()
        for stop in stoppers:
            await stop()

    return app


def asyncapi_document(settings: Settings) -> dict[str, Any]:
    broker = NatsBroker(settings.nats.effective_url.split(","))
    _describe(broker, GROUPS, settings)
    app = FastStream(broker, specification=SPECIFICATION)
    return app.schema.to_specification().to_jsonable()  # type: ignore[union-attr]
