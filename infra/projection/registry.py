"""Which function projects which event type."""

from collections.abc import Awaitable, Callable
from typing import Any

Handler = Callable[[Any, Any, int], Awaitable[None]]
HANDLERS: dict[str, Handler] = {}


def handles(*event_types: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for event_type in event_types:
            if event_type in HANDLERS:
                raise ValueError(f"{event_type} projected twice")
            HANDLERS[event_type] = fn
        return fn

    return register
