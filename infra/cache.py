"""The read cache: answers of list endpoints kept in a NATS JetStream key-value bucket.

Invalidation is by generation: each (project, resource) has a generation key; cached answers are
stored under the generation current when they were computed. The projection bumps the
generations of what a batch changed after committing it and before telling waiting requests, so
a read after a `?wait=true` write never sees the old answer. Entries expire with the bucket's TTL."""

import asyncio
import hashlib
import json
import time
from typing import Any

import structlog
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError

from cognitest.infra.metrics import CACHE_REQUESTS

log = structlog.get_logger(__name__)
BUCKET = "COGNITEST_READ_CACHE"
# event type prefix -> the list resources it can change
RESOURCES = {"plan": ("plans", "suites", "cases"), "suite": ("suites", "cases"), "case": ("cases",),
             "issue": ("issues",), "collection": ("collections",), "project": ("plans", "suites", "cases", "issues", "collections")}


def touched(event_types: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """(project, resource) pairs whose lists a batch of (project, event type) may have changed."""
    out = set()
    for project, event_type in event_types:
        for resource in RESOURCES.get(event_type.split(".", 1)[0], ()):
            out.add((project, resource))
    return out


class ReadCache:
    def __init__(self, js: JetStreamContext, ttl: float, replicas: int = 1) -> None:
        self.js = js
        self.ttl = ttl
        self.replicas = replicas
        self.kv: Any = None
        # (project, resource) -> monotonic time until which lists are read from the database: the
        # projection could not bump their generation, so a cached answer might be stale until
        # its TTL ends
        self._bypass: dict[tuple[str, str], float] = {}

    def mark_stale(self, pairs: list[tuple[str, str]]) -> None:
        until = time.monotonic() + self.ttl
        for pair in pairs:
            self._bypass[(str(pair[0]), str(pair[1]))] = until

    def _bypassed(self, project: str, resource: str) -> bool:
        until = self._bypass.get((project, resource))
        if until is None:
            return False
        if until < time.monotonic():
            del self._bypass[(project, resource)]
            return False
        return True

    async def start(self) -> None:
        try:
            self.kv = await self.js.key_value(BUCKET)
        except BucketNotFoundError:
            self.kv = await self.js.create_key_value(KeyValueConfig(
                bucket=BUCKET, history=1, ttl=self.ttl, storage=StorageType.MEMORY, replicas=self.replicas,
                description="Cognitest read cache (answers of list endpoints, by generation)"))

    async def _generation(self, project: str, resource: str) -> str:
        try:
            entry = await self.kv.get(f"gen.{project}.{resource}")
            return (entry.value or b"0").decode()
        except KeyNotFoundError:
            return "0"

    @staticmethod
    def _key(project: str, resource: str, generation: str, query: dict[str, Any]) -> str:
        digest = hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:32]
        return f"c.{project}.{resource}.{generation}.{digest}"

    async def get(self, project: str, resource: str, query: dict[str, Any]) -> tuple[Any, str | None]:
        """(the cached answer or None, the key to store a fresh one under, None: do not store).

        A cache that cannot answer quickly (NATS slow or away, the bucket electing a leader) or
        whose invalidation failed is skipped: the database answers, never an error or a stale list."""
        if self._bypassed(project, resource):
            CACHE_REQUESTS.labels(resource, "bypass").inc()
            return None, None
        try:
            key = self._key(project, resource, await asyncio.wait_for(self._generation(project, resource), 0.5), query)
            entry = await asyncio.wait_for(self.kv.get(key), 0.5)
        except KeyNotFoundError:
            CACHE_REQUESTS.labels(resource, "miss").inc()
            return None, key
        except Exception as exc:  # noqa: BLE001  any failure of the cache costs a database read, nothing more
            log.info("cache.get_failed", error=f"{type(exc).__name__}: {exc}")
            CACHE_REQUESTS.labels(resource, "bypass").inc()
            return None, None
        CACHE_REQUESTS.labels(resource, "hit").inc()
        return json.loads(entry.value), key

    async def put(self, key: str, answer: Any) -> None:
        try:
            await self.kv.put(key, json.dumps(answer, default=str).encode())
        except Exception as exc:  # noqa: BLE001  a full or unavailable cache only costs a database read
            log.info("cache.put_failed", error=f"{type(exc).__name__}: {exc}")

    async def invalidate(self, pairs: set[tuple[str, str]]) -> None:
        stamp = str(time.time_ns())
        for project, resource in pairs:
            await self.kv.put(f"gen.{project}.{resource}", stamp.encode())
