"""A consumer's per-project settings apply to every event stored after they were saved: the value is
read again for an event newer than the read, never served from a clock-based cache."""

import asyncio
from types import SimpleNamespace
from typing import Any

from cognitest.consumers.runtime.fresh import FreshPerEvent


def message(seq: int) -> Any:
    return SimpleNamespace(metadata=SimpleNamespace(sequence=SimpleNamespace(stream=seq)))


def test_a_value_read_for_a_batch_serves_that_batch_and_is_read_again_for_the_next() -> None:
    reads: list[str] = []
    database = {"p": "old rules"}

    async def load(key: str, previous: str | None) -> str:
        reads.append(database[key])
        return database[key]

    async def scenario() -> list[str]:
        cache: FreshPerEvent[str, str] = FreshPerEvent(load)
        first = [message(10), message(11), message(12)]
        cache.received(first)
        seen = [await cache.get("p", m) for m in first]  # one read serves the whole batch
        database["p"] = "new rules"  # saved (and projected) before the next event was stored
        second = [message(13)]
        cache.received(second)
        seen.append(await cache.get("p", second[0]))
        seen.append(await cache.get("p", message(11)))  # a redelivered older event: the newer read serves it
        return seen

    seen = asyncio.run(scenario())
    assert seen == ["old rules", "old rules", "old rules", "new rules", "new rules"]
    assert reads == ["old rules", "new rules"]


def test_a_message_without_a_sequence_is_always_read_fresh_and_loaders_keep_what_they_learnt() -> None:
    calls: list[object] = []

    async def load(key: str, previous: list[int] | None) -> list[int]:
        calls.append(previous)
        return [*(previous or []), len(calls)]

    async def scenario() -> list[int]:
        cache: FreshPerEvent[str, list[int]] = FreshPerEvent(load)
        await cache.get("p", SimpleNamespace())  # no JetStream metadata
        return await cache.get("p", None)

    assert asyncio.run(scenario()) == [1, 2]
    assert calls == [None, [1]]
