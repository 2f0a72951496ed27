"""Per-project settings a consumer reads from the database and keeps, used for an event only when
they were read after that event was stored on the bus.

A time-to-live cache is wrong in both directions: a rule a user saved (and waited for) right before
the event that should fire it can be missed for the TTL, and with two copies of a consumer the copy
that did not see the settings change keeps the old ones until the TTL runs out. What a user
expects is causal: whatever was saved before an event happened applies to it.

Reading after a message was received gives exactly that, without clocks: a batch was stored on
the stream before it was fetched, so a read made while handling a batch sees everything the
projection applied before any event of the batch existed. Each value remembers the highest stream
sequence received when it was read and serves events up to it: one read per project per batch."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from nats.aio.msg import Msg

K = TypeVar("K")
V = TypeVar("V")


def _seq(msg: Msg) -> int:
    try:
        return int(msg.metadata.sequence.stream)
    except Exception:  # noqa: BLE001  a message without JetStream metadata
        return 0


class FreshPerEvent(Generic[K, V]):
    """Values by key, each reloaded for an event stored after it was read.
    `load(key, previous)` reads the value (`previous` lets it keep what it learnt from the bus)."""

    def __init__(self, load: Callable[[K, V | None], Awaitable[V]]) -> None:
        self._load = load
        self._values: dict[K, tuple[int, V]] = {}
        self._received = 0  # the highest stream sequence fetched so far

    def received(self, msgs: Sequence[Msg]) -> None:
        """Called with each fetched batch, before any of it is handled."""
        self._received = max([self._received, *(_seq(m) for m in msgs)])

    async def get(self, key: K, msg: Msg | None) -> V:
        seq = _seq(msg) if msg is not None else 0
        cached = self._values.get(key)
        if cached is not None and seq and cached[0] >= seq:
            return cached[1]
        seen = max(self._received, seq)
        value = await self._load(key, cached[1] if cached else None)
        self._values[key] = (seen, value)
        return value

    def peek(self, key: K) -> V | None:
        cached = self._values.get(key)
        return cached[1] if cached else None

    def forget(self, key: K) -> None:
        self._values.pop(key, None)
