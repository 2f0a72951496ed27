"""Publishing events: every message carries `Nats-Msg-Id` = event id, so JetStream drops a
re-sent event inside the duplicate window; the producer gets the stream's acknowledgement."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nats.aio.client import Client
from nats.errors import ConnectionClosedError, NoRespondersError, TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.errors import APIError, NoStreamResponseError, ServiceUnavailableError

from cognitest.infra.bus.streams import MAX_EVENT_BYTES
from cognitest.infra.logging import get_logger
from cognitest.infra.metrics import EVENTS_PUBLISHED
from cognitest.infra.tracing import current_traceparent
from cognitest.schemas import Envelope
from cognitest.schemas.subjects import EVENTS_STREAM, event_subject

log = get_logger(__name__)

# NoStreamResponseError and a 503 from the JetStream API are what a stream says while it elects
# a leader (seconds on a cluster): transient, like a timeout.
_TRANSIENT = (NatsTimeout, NoRespondersError, ConnectionClosedError, asyncio.TimeoutError, NoStreamResponseError,
              ServiceUnavailableError)


class PublishFailed(RuntimeError):
    """The stream did not acknowledge the event; it may or may not be stored (outcome unknown).
    Re-sending the same event is safe: its id makes it a duplicate if it was."""


class EventTooLarge(ValueError):
    """The event is over NATS's size limit; its content belongs in the blob store."""


@dataclass(frozen=True)
class Published:
    event_id: str
    seq: int
    duplicate: bool


def encode(event: Envelope[Any]) -> tuple[str, bytes, dict[str, str]]:
    if event.traceparent is None:  # published inside a traced request, consumer or activity: join its trace
        traceparent = current_traceparent()
        if traceparent:
            event = event.model_copy(update={"traceparent": traceparent})
    body = event.model_dump_json().encode()
    if len(body) > MAX_EVENT_BYTES:
        raise EventTooLarge(
            f"event is {len(body)} bytes, over the {MAX_EVENT_BYTES}-byte limit: "
            "store the content in the blob store and reference it"
        )
    headers = {
        "Nats-Msg-Id": event.id,
        "ce-type": event.type,
        "ce-subject": event.subject,
        "content-type": "application/cloudevents+json",
    }
    return event_subject(event.subject, event.type), body, headers


class EventPublisher:
    def __init__(self, nc: Client, *, retries: int = 5, timeout: float = 5.0) -> None:
        self._nc = nc
        self._js: JetStreamContext = nc.jetstream(timeout=timeout, publish_async_max_pending=8000)
        self._retries = retries
        self._timeout = timeout

    @property
    def js(self) -> JetStreamContext:
        return self._js

    async def publish(self, event: Envelope[Any]) -> Published:
        """Publish and wait for the stream's acknowledgement, retrying transient failures (timeouts,
        a stream electing its leader) with backoff until `retries * timeout` seconds have passed:
        a leader election that answers at once is waited out, not given up after a few fast tries."""
        subject, body, headers = encode(event)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._retries * self._timeout
        delay, attempt = 0.1, 0
        while True:
            attempt += 1
            remaining = deadline - loop.time()
            try:
                ack = await self._js.publish(subject, body, timeout=max(0.5, min(self._timeout, remaining)),
                                             stream=EVENTS_STREAM, headers=headers)
                EVENTS_PUBLISHED.labels(event.type).inc()
                return Published(event.id, ack.seq, bool(ack.duplicate))
            except _TRANSIENT as exc:
                if loop.time() + delay >= deadline:
                    raise PublishFailed(f"NATS did not acknowledge event {event.id}: {type(exc).__name__}") from exc
                log.warning("publish.retry", event_id=event.id, attempt=attempt, error=type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
            except APIError as exc:
                raise PublishFailed(f"NATS refused event {event.id}: {exc.description or exc}") from exc

    async def publish_many(self, events: Sequence[Envelope[Any]]) -> list[Published]:
        """Pipeline many publishes and wait for every acknowledgement; re-sends the ones that
        were not acknowledged (safe thanks to the ids)."""
        pending = list(events)
        results: dict[str, Published] = {}
        encoded = {e.id: encode(e) for e in events}
        for attempt in range(1, self._retries + 1):
            futures: list[asyncio.Future[Any]] = []
            try:
                for event in pending:
                    subject, body, headers = encoded[event.id]
                    futures.append(await self._js.publish_async(subject, body, stream=EVENTS_STREAM, headers=headers))
            except _TRANSIENT:
                pass  # what was not sent is re-sent below
            if futures:
                await asyncio.wait(futures, timeout=self._timeout)
            failed: list[Envelope[Any]] = []
            for index, event in enumerate(pending):
                future = futures[index] if index < len(futures) else None
                if future is not None and future.done() and not future.cancelled() and future.exception() is None:
                    ack = future.result()
                    results[event.id] = Published(event.id, ack.seq, bool(ack.duplicate))
                    EVENTS_PUBLISHED.labels(event.type).inc()
                else:
                    if future is not None and not future.done():
                        future.cancel()
                    failed.append(event)
            if not failed:
                break
            if attempt == self._retries:
                raise PublishFailed(f"NATS did not acknowledge {len(failed)} of {len(events)} events")
            log.warning("publish.retry_batch", failed=len(failed), attempt=attempt)
            pending = failed
            await asyncio.sleep(0.2 * attempt)
        return [results[e.id] for e in events]
