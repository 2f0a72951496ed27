"""The Temporal worker process: every workflow and activity of Cognitest on one task queue."""

import asyncio
import signal

import structlog
from temporalio.worker import Worker

from cognitest.infra.bus.connection import connect
from cognitest.infra.bus.publisher import EventPublisher
from cognitest.infra.bus.auth import connect_options
from cognitest.infra.bus.streams import ensure_streams
from cognitest.infra.logging import configure_logging
from cognitest.infra.settings import Settings, get_settings
from cognitest.infra.metrics import serve
from cognitest.infra.temporal import connect_temporal, metrics_runtime
from cognitest.infra.db.engine import make_engine, session_factory
from cognitest.infra.identity.crypto import SecretBox
from cognitest.infra.integrations.outbound import Outbound
from cognitest.infra.tracing import setup_tracing, shutdown_tracing
from cognitest.workflows.automation.activities import AutomationActivities
from cognitest.workflows.automation.workflow import AutomationRun
from cognitest.workflows.bootstrap.activities import BootstrapActivities
from cognitest.workflows.bootstrap.workflow import ProjectBootstrap
from cognitest.workflows.generation.activities import GenerationActivities
from cognitest.workflows.generation.workflow import GenerationPipeline

log = structlog.get_logger(__name__)
WORKFLOWS = [ProjectBootstrap, GenerationPipeline, AutomationRun]


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    nc = await connect(settings.nats.effective_url, "cognitest-worker", auth=connect_options(settings, "worker"),
                       retry_on_start=True)
    publisher = EventPublisher(nc, retries=settings.bus.publish_retries)
    await ensure_streams(publisher.js, settings.bus)
    metrics = settings.metrics
    serve(metrics.host, metrics.worker_port, "worker")
    client = await connect_temporal(settings, metrics_runtime(metrics.host, metrics.temporal_sdk_port))
    bootstrap = BootstrapActivities(publisher, settings.source)
    engine = make_engine(settings.database.effective_url, pool_size=4)
    generation = GenerationActivities(settings, session_factory(engine), publisher)
    outbound = Outbound(settings.integrations, box=SecretBox.from_settings(settings))
    automation = AutomationActivities(settings, session_factory(engine), publisher, outbound)
    worker = Worker(
        client,
        task_queue=settings.temporal.task_queue,
        workflows=WORKFLOWS,
        activities=[bootstrap.create_default_suites, bootstrap.configure_notifications, *generation.all(), *automation.all()],
        max_concurrent_activities=8,
    )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker.started", task_queue=settings.temporal.task_queue, address=settings.temporal.effective_address)
    async with worker:
        await stop.wait()
    # Shut down explicitly: a gRPC client left to interpreter exit can abort the process.
    await nc.drain()
    await outbound.close()
    await engine.dispose()
    log.info("worker.stopped")


def main() -> None:
    settings = get_settings()
    configure_logging("worker", settings.log_level, settings.log_format)
    setup_tracing(settings.tracing, "worker")
    try:
        asyncio.run(run_worker(settings))
    finally:
        shutdown_tracing()
