"""Event envelope, event payloads, subjects and domain value types.

May import pydantic and the standard library only.
"""

from cognitest.schemas.envelope import Envelope, new_event
from cognitest.schemas.registry import (
    EventRegistry,
    InvalidEvent,
    UnknownEventType,
    parse_event,
    payload_type,
    registry,
)
from cognitest.schemas import events as _events  # noqa: F401  registers the catalogue

__all__ = [
    "Envelope",
    "EventRegistry",
    "InvalidEvent",
    "UnknownEventType",
    "new_event",
    "parse_event",
    "payload_type",
    "registry",
]
