"""Per-project settings a consumer reads from the database and keeps: read again as soon as an
event that changes them has been received, and at the latest after `ttl` seconds.

A plain time-to-live cache misses a rule a user saved (and waited for) right before the event
that should fire it. Here the consumer sees the change itself go by (`project.updated` is on the
same stream, before any event that follows it), so the next event of that project is judged on a
fresh read; a read that does not reflect the change yet (the projection is a moment behind) is
repeated until it does. With two copies of a consumer, a copy that did not receive the change
picks it up within `ttl`. Steady traffic costs one read per project per `ttl`, not one per event
(a read per event held the alerting consumer to ~120 events/s behind a 70,000-event import)."""

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from nats.aio.msg import Msg

V = TypeVar("V")
Load = Callable[[UUID, "V | None"], Awaitable[tuple["V", int]]]  # (value, the row's last applied stream sequence)


def _seq(msg: Msg) -> int:
    try:
        return int(msg.metadata.sequence.stream)
    except Exception:  # noqa: BLE001  a message without JetStream metadata
        return 0


@dataclass
class _Entry(Generic[V]):
    value: V
    row_seq: int
    read_at: float


class FreshPerEvent(Generic[V]):
    """Values by project. `load(project, previous)` reads one and the stream sequence its row
    reflects; `changes` are the event types that change it."""

    def __init__(self, load: Callable[[UUID, V | None], Awaitable[tuple[V, int]]], changes: frozenset[str],
                 ttl: float = 5.0) -> None:
        self._load, self._changes, self._ttl = load, changes, ttl
        self._values: dict[UUID, _Entry[V]] = {}
        self._changed: dict[UUID, tuple[int, float]] = {}  # project -> (sequence, time) of the newest change received

    def received(self, msgs: Sequence[Msg]) -> None:
        """Called with each fetched batch, before any of it is handled: notes the changes in it."""
        for msg in msgs:
            parts = msg.subject.split(".", 3)
            if len(parts) == 4 and parts[3] in self._changes:
                try:
                    project = UUID(parts[2])
                except ValueError:
                    continue
                seq = max(self._changed.get(project, (0, 0.0))[0], _seq(msg) or 1)
                self._changed[project] = (seq, time.monotonic())

    async def get(self, key: UUID) -> V:
        entry, changed = self._values.get(key), self._changed.get(key)
        if entry is not None and (changed is None or entry.row_seq >= changed[0]) and \
                time.monotonic() - entry.read_at < self._ttl:
            return entry.value
        read_at = time.monotonic()
        value, row_seq = await self._load(key, entry.value if entry else None)
        self._values[key] = _Entry(value, row_seq, read_at)
        if changed is not None and (row_seq >= changed[0] or read_at - changed[1] > self._ttl):
            del self._changed[key]  # applied (or refused by the projection: stop waiting for it)
        return value
