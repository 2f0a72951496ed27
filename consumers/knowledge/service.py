"""Starting the knowledge group: open the store (skipped, with a warning, when another process
holds the local one), follow the events, serve retrieval to workflows, and re-embed everything
when the embedding model changed (its collection is new but the consumer had already run)."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from temporalio.client import Client
from temporalio.worker import Worker

from cognitest.consumers.knowledge.activities import KnowledgeActivities
from cognitest.consumers.knowledge.handler import CONSUMER, KnowledgeConsumer
from cognitest.infra.knowledge.embedders import embedder_for
from cognitest.infra.knowledge.store import KnowledgeStore, StoreLocked
from cognitest.infra.knowledge.writer import KnowledgeWriter
from cognitest.infra.settings import Settings
from cognitest.schemas.generation import KNOWLEDGE_QUEUE_SUFFIX
from cognitest.schemas.subjects import EVENTS_STREAM

log = structlog.get_logger(__name__)
Stop = Callable[[], Awaitable[None]]


async def start_knowledge(settings: Settings, js: JetStreamContext, temporal: Client,
                          run_durable: Callable[..., Awaitable[None]]) -> list[Stop]:
    """Wire the group; returns what to stop on shutdown (nothing when the store is unavailable)."""
    embedder = await embedder_for(settings.knowledge)
    store = KnowledgeStore(settings, embedder)
    try:
        created = await store.open()
    except StoreLocked as exc:
        log.warning("knowledge.unavailable", reason=str(exc))
        return []
    writer = KnowledgeWriter(store, settings.knowledge.batch_size)
    consumer = KnowledgeConsumer(writer, js, settings.bus)
    tasks: list[asyncio.Task[Any]] = []
    if created and await _has_run_before(js):
        log.info("knowledge.model_changed", collection=store.collection, action="re-embedding every project's events")
        tasks.append(asyncio.create_task(consumer.reembed(None), name="knowledge-reembed"))
    # background work: wait a little for fuller batches (one embedding call, one upsert each)
    await run_durable(CONSUMER, consumer.handle, settings.knowledge.batch_size, linger=settings.knowledge.linger)
    worker = Worker(temporal, task_queue=settings.temporal.task_queue + KNOWLEDGE_QUEUE_SUFFIX,
                    activities=KnowledgeActivities(store, settings.knowledge).all(), max_concurrent_activities=4)
    tasks.append(asyncio.create_task(worker.run(), name="knowledge-activities"))
    log.info("knowledge.started", collection=store.collection, embedder=embedder.name, dimensions=embedder.dimensions)

    async def stop() -> None:
        await worker.shutdown()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await store.close()

    return [stop]


async def _has_run_before(js: JetStreamContext) -> bool:
    try:
        info = await js.consumer_info(EVENTS_STREAM, CONSUMER)
    except NotFoundError:
        return False
    return bool(info.delivered and info.delivered.stream_seq)
