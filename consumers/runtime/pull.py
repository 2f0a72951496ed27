"""The pull loop every Cognitest consumer runs on a durable JetStream consumer.

Why not FastStream's pull subscriber: its batch loop catches nats' TimeoutError but not the
asyncio one that nats-py also raises, so a fetch that times out mid-batch drops the messages
already collected; they come back only after ack_wait (measured: p99 latency = ack_wait at
1,000 events/s). This loop waits for the first message with a long poll, then gathers more
for a few milliseconds, and hands the batch to the handler, which acks each message itself."""

import asyncio
import time
from collections.abc import Awaitable, Callable

import structlog
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig
from nats.js.errors import ServiceUnavailableError

from cognitest.infra.metrics import EVENTS_CONSUMED, HANDLER_SECONDS
from cognitest.schemas.subjects import EVENTS_STREAM

log = structlog.get_logger(__name__)


class PullConsumer:
    def __init__(self, js: JetStreamContext, config: ConsumerConfig, handle: Callable[[list[Msg]], Awaitable[None]],
                 *, batch_size: int, linger: float, idle_poll: float = 5.0, prefetch: bool = True) -> None:
        self.js = js
        self.config = config
        self.handle = handle
        self.batch_size = batch_size
        self.linger = linger
        self.idle_poll = idle_poll
        # Prefetching suits short handlers (the projection). A long handler (a test run) must not
        # hold a second message unacknowledged while it works: it would be redelivered meanwhile.
        self.prefetch = prefetch
        self._task: asyncio.Task[None] | None = None
        self._sub: JetStreamContext.PullSubscription | None = None
        self._running = False

    async def start(self) -> None:
        self._running = True
        self._sub = await self.js.pull_subscribe_bind(durable=self.config.durable_name, stream=EVENTS_STREAM)
        self._task = asyncio.create_task(self._loop(self._sub), name=f"pull-{self.config.durable_name}")

    async def stop(self) -> None:
        """Finish the batch in hand, then stop; unacked messages are redelivered to another copy."""
        self._running = False
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self._sub is not None:
            # replies to fetches still in flight would sit in the inbox, and the connection's drain
            # on shutdown would wait for them until it timed out: nobody will read them now
            try:
                await self._sub.unsubscribe()
            except Exception:  # noqa: BLE001  the connection may be closing already
                pass
            self._sub = None

    async def _loop(self, sub: JetStreamContext.PullSubscription) -> None:
        # The next batch is fetched while the current one is applied, so the database and the
        # bus work at the same time; batches are still handled one after another, in order.
        upcoming = asyncio.create_task(self._fetch(sub))
        try:
            while self._running:
                batch = await upcoming
                if self.prefetch:
                    upcoming = asyncio.create_task(self._fetch(sub))
                if batch:
                    await asyncio.shield(self._handle(batch))  # a stop() waits for the batch to finish
                if not self.prefetch:
                    upcoming = asyncio.create_task(self._fetch(sub))
        finally:
            upcoming.cancel()
            try:
                unhandled = await upcoming
            except (asyncio.CancelledError, Exception):  # noqa: BLE001  nothing fetched
                unhandled = []
            for msg in unhandled:  # hand them back now rather than after ack_wait
                try:
                    await msg.nak()
                except Exception:  # noqa: BLE001  the bus may be closing; redelivery covers it
                    break

    async def _fetch(self, sub: JetStreamContext.PullSubscription) -> list[Msg]:
        try:
            return await self._next_batch(sub)
        except (ConnectionClosedError, ServiceUnavailableError, OSError) as exc:
            log.warning("consumer.fetch_failed", durable=self.config.durable_name, error=type(exc).__name__)
            await asyncio.sleep(1.0)
            return []

    async def _handle(self, batch: list[Msg]) -> None:
        durable = self.config.durable_name or "?"
        for msg in batch:
            parts = msg.subject.split(".", 3)
            EVENTS_CONSUMED.labels(durable, parts[3] if len(parts) == 4 else "?").inc()
        started = time.perf_counter()
        try:
            await self.handle(batch)
        except Exception:  # a handler bug must not kill the loop; unacked messages are redelivered
            log.exception("consumer.handler_crashed", durable=durable, size=len(batch))
        finally:
            HANDLER_SECONDS.labels(durable).observe(time.perf_counter() - started)

    async def _next_batch(self, sub: JetStreamContext.PullSubscription) -> list[Msg]:
        try:
            msgs = await sub.fetch(1, timeout=self.idle_poll)
        except TimeoutError:  # builtin TimeoutError covers asyncio's and nats'
            return []
        deadline = time.monotonic() + self.linger
        while len(msgs) < self.batch_size:
            remaining = deadline - time.monotonic()
            if remaining < 0.001:
                break
            try:
                msgs += await sub.fetch(self.batch_size - len(msgs), timeout=remaining)
            except TimeoutError:
                break
        return msgs
