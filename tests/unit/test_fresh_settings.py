"""A consumer's per-project settings: read again as soon as a change to them goes by on the stream
(until the read reflects it), otherwise reused for a while, never read once per event."""

import asyncio
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

from cognitest.consumers.runtime.fresh import FreshPerEvent

P = uuid4()


def message(seq: int, event_type: str, project: Any = P) -> Any:
    return SimpleNamespace(subject=f"cognitest.events.{project}.{event_type}",
                           metadata=SimpleNamespace(sequence=SimpleNamespace(stream=seq)))


def test_a_change_on_the_stream_forces_a_read_until_the_read_reflects_it() -> None:
    database = {"rules": "old", "row_seq": 5}
    reads: list[str] = []

    async def load(key: Any, previous: Any) -> tuple[str, int]:
        reads.append(database["rules"])
        return str(database["rules"]), int(database["row_seq"])

    async def scenario() -> list[str]:
        cache: FreshPerEvent[str] = FreshPerEvent(load, frozenset({"project.updated"}), ttl=60)
        cache.received([message(10, "run.failed"), message(11, "issue.created")])
        seen = [await cache.get(P), await cache.get(P)]  # one read serves many events
        cache.received([message(12, "project.updated"), message(13, "issue.created")])
        seen.append(await cache.get(P))  # the projection has not applied seq 12 yet: stale, so read again next time
        database.update(rules="new", row_seq=12)
        seen.append(await cache.get(P))
        seen.append(await cache.get(P))  # reflects the change: reused
        cache.received([message(14, "project.updated", uuid4())])  # another project's change
        seen.append(await cache.get(P))
        return seen

    assert asyncio.run(scenario()) == ["old", "old", "old", "new", "new", "new"]
    assert reads == ["old", "old", "new"]


def test_values_expire_after_the_ttl_and_a_change_the_projection_refused_stops_forcing_reads() -> None:
    reads = 0

    async def load(key: Any, previous: Any) -> tuple[int, int]:
        nonlocal reads
        reads += 1
        return reads, 1  # the row never reaches the change (its event was dead-lettered)

    async def scenario() -> None:
        cache: FreshPerEvent[int] = FreshPerEvent(load, frozenset({"project.updated"}), ttl=0.2)
        cache.received([message(50, "project.updated")])
        assert await cache.get(P) == 1 and await cache.get(P) == 2  # forced while the change may still apply
        await asyncio.sleep(0.25)
        assert await cache.get(P) == 3  # past the ttl: read, and the change is no longer waited for
        assert await cache.get(P) == 3

    asyncio.run(scenario())
