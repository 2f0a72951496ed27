"""A read cache that cannot answer (NATS hung, the bucket electing a leader) or could not be
invalidated is skipped: the database answers, never an error, a hang or a stale list."""

import asyncio
import time

from cognitest.infra.cache import ReadCache


class HungBucket:
    async def get(self, key: str) -> None:
        await asyncio.sleep(60)

    async def put(self, key: str, value: bytes) -> None:
        await asyncio.sleep(60)


class Entry:
    def __init__(self, value: bytes) -> None:
        self.value = value


class Bucket:
    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    async def get(self, key: str) -> Entry:
        from nats.js.errors import KeyNotFoundError

        if key not in self.data:
            raise KeyNotFoundError()
        return Entry(self.data[key])

    async def put(self, key: str, value: bytes) -> None:
        self.data[key] = value


async def test_a_hung_cache_falls_back_to_the_database_quickly() -> None:
    cache = ReadCache(js=None, ttl=300)  # type: ignore[arg-type]
    cache.kv = HungBucket()
    started = time.monotonic()
    answer, key = await cache.get("p", "cases", {"limit": 50})
    assert answer is None and key is None  # read from the database, store nothing
    assert time.monotonic() - started < 5  # 5x headroom over the 1 s budget


async def test_lists_the_projection_could_not_invalidate_are_read_from_the_database() -> None:
    cache = ReadCache(js=None, ttl=300)  # type: ignore[arg-type]
    cache.kv = Bucket()
    _, key = await cache.get("p", "cases", {"q": "x"})
    assert key is not None
    await cache.put(key, {"items": ["old"]})
    assert (await cache.get("p", "cases", {"q": "x"}))[0] == {"items": ["old"]}
    cache.mark_stale([("p", "cases")])
    assert await cache.get("p", "cases", {"q": "x"}) == (None, None)
    assert (await cache.get("p", "issues", {"q": "x"}))[1] is not None  # other lists keep their cache
    cache._bypass[("p", "cases")] = time.monotonic() - 1  # noqa: SLF001  the old entries have expired
    assert (await cache.get("p", "cases", {"q": "x"}))[0] == {"items": ["old"]}
