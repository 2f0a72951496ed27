"""Following a project's events as they are stored on the stream, optionally only once the read
models reflect each one (the projection applied or refused it), so that whoever refetches on an
event reads the change. Used by the live event stream (`GET /api/v1/events/stream`) and by the MCP
server's resource subscriptions."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from nats.js.api import ConsumerConfig, DeliverPolicy

from cognitest.producers.api.state import AppState
from cognitest.schemas.subjects import EVENTS_STREAM, project_filter

# how long an event is held back waiting for the projection before it is sent anyway (a stalled
# projection must not stall every follower; the event is still the truth of the stream); once one
# wait has run out, the next ones are short until an event is seen applied again, so a burst behind
# a stalled projection costs seconds, not ten seconds an event
APPLIED_WAIT_S = 10.0
STALLED_WAIT_S = 0.5


@dataclass(frozen=True)
class Followed:
    seq: int
    type: str
    raw: bytes  # the event as stored (JSON)

    def body(self) -> dict[str, Any]:
        try:
            value = json.loads(self.raw)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


class Follower:
    """One ordered, ephemeral consumer of a project's events (or every project's: the instance
    admin); `next` answers None after `idle` seconds without an event, for keep-alives."""

    def __init__(self, state: AppState, project: str | None, type_pattern: str | None = None,
                 start: int | None = None, applied: bool = False) -> None:
        self.state, self.project, self.type_pattern, self.start, self.applied = state, project, type_pattern, start, applied
        self._sub: Any = None
        self._patience = APPLIED_WAIT_S

    async def __aenter__(self) -> "Follower":
        config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE if self.start else DeliverPolicy.NEW,
                                opt_start_seq=self.start)
        self._sub = await self.state.publisher.js.subscribe(
            project_filter(self.project, self.type_pattern), ordered_consumer=True, config=config, stream=EVENTS_STREAM)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._sub.unsubscribe()

    async def next(self, idle: float = 15.0) -> Followed | None:
        try:
            msg = await self._sub.next_msg(timeout=idle)
        except Exception:  # noqa: BLE001  nats raises its own TimeoutError type as well as asyncio's
            return None
        followed = Followed(msg.metadata.sequence.stream,
                            msg.headers.get("ce-type", "message") if msg.headers else "message", msg.data)
        if self.applied:
            event_id = (msg.headers or {}).get("Nats-Msg-Id") or followed.body().get("id")
            if isinstance(event_id, str):
                waiter = self.state.waiter
                outcome = await waiter.wait(event_id, waiter.expect(event_id), self._patience)
                self._patience = APPLIED_WAIT_S if outcome is not None else STALLED_WAIT_S
        return followed

    async def __aiter__(self) -> AsyncIterator[Followed]:
        while True:
            item = await self.next()
            if item is not None:
                yield item
