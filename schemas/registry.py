"""Event types registered by name and version, and parsing raw events at the edge."""

from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError

from cognitest.schemas.envelope import Envelope, dataschema_for

M = TypeVar("M", bound=type[BaseModel])


class UnknownEventType(ValueError):
    """The event's type (or its version) is not in the catalogue."""


class InvalidEvent(ValueError):
    """The event is not a valid envelope or its payload does not match its type."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class EventRegistry:
    def __init__(self) -> None:
        self._types: dict[str, type[BaseModel]] = {}
        self._envelopes: dict[str, type[Envelope[Any]]] = {}

    def register(self, event_type: str, version: int = 1, description: str = "") -> Callable[[M], M]:
        def decorate(model: M) -> M:
            if event_type in self._types:
                raise ValueError(f"event type {event_type!r} registered twice")
            model.__event_type__ = event_type  # type: ignore[attr-defined]
            model.__event_version__ = version  # type: ignore[attr-defined]
            model.__event_description__ = description or (model.__doc__ or "").strip()  # type: ignore[attr-defined]
            self._types[event_type] = model
            self._envelopes[event_type] = Envelope[model]  # type: ignore[valid-type]
            return model

        return decorate

    def payload(self, event_type: str) -> type[BaseModel]:
        try:
            return self._types[event_type]
        except KeyError:
            raise UnknownEventType(f"unknown event type {event_type!r}") from None

    def envelope(self, event_type: str) -> type[Envelope[Any]]:
        self.payload(event_type)
        return self._envelopes[event_type]

    def version(self, event_type: str) -> int:
        return self.payload(event_type).__event_version__  # type: ignore[attr-defined]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._types))

    def __contains__(self, event_type: object) -> bool:
        return event_type in self._types

    def items(self) -> list[tuple[str, type[BaseModel]]]:
        return sorted(self._types.items())

    def validate(self, raw: dict[str, Any] | bytes | str) -> Envelope[Any]:
        """Parse a raw event into its typed envelope or raise with a clear message."""
        if isinstance(raw, (bytes, str)):
            import json

            try:
                raw = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                raise InvalidEvent(f"event is not valid JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise InvalidEvent("event must be a JSON object")
        event_type = raw.get("type")
        if not isinstance(event_type, str):
            raise InvalidEvent("event has no 'type'", [{"loc": ["type"], "msg": "field required"}])
        envelope_cls = self.envelope(event_type)
        schema = raw.get("dataschema")
        expected = dataschema_for(event_type, self.version(event_type))
        if schema is not None and schema != expected:
            raise UnknownEventType(f"unsupported schema {schema!r} for {event_type!r} (expected {expected!r})")
        try:
            event = envelope_cls.model_validate({**raw, "dataschema": expected})
        except ValidationError as exc:
            errors = [
                {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                for e in exc.errors(include_url=False, include_input=False)
            ]
            first = errors[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InvalidEvent(f"invalid {event_type} event: {where}: {first['msg']}", errors) from None
        try:
            UUID(event.subject)
        except ValueError:
            raise InvalidEvent(
                "event subject must be the project id (a UUID)",
                [{"loc": ["subject"], "msg": "not a UUID", "type": "uuid"}],
            ) from None
        return event


registry = EventRegistry()
event = registry.register


def payload_type(event_type: str) -> type[BaseModel]:
    return registry.payload(event_type)


def parse_event(raw: dict[str, Any] | bytes | str) -> Envelope[Any]:
    return registry.validate(raw)
