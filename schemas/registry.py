"""Event types registered by name and version, and parsing raw events at the edge.

Each registered type gets its own envelope class whose `type` is a literal, and all of them
form one discriminated union: a raw event is parsed and validated in a single pass of
pydantic-core (the projection parses every event it applies, so this is a hot path)."""

from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal, TypeVar, Union
from uuid import UUID

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, create_model

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
        self._adapter: TypeAdapter[Any] | None = None

    def register(self, event_type: str, version: int = 1, description: str = "") -> Callable[[M], M]:
        def decorate(model: M) -> M:
            if event_type in self._types:
                raise ValueError(f"event type {event_type!r} registered twice")
            model.__event_type__ = event_type  # type: ignore[attr-defined]
            model.__event_version__ = version  # type: ignore[attr-defined]
            model.__event_description__ = description or (model.__doc__ or "").strip()  # type: ignore[attr-defined]
            envelope = create_model(  # type: ignore[call-overload]
                f"{model.__name__}Event", __base__=Envelope[model],  # type: ignore[valid-type]
                type=(Literal[event_type], Field(description="event type")),
            )
            model.__envelope__ = envelope  # type: ignore[attr-defined]
            self._types[event_type] = model
            self._envelopes[event_type] = envelope
            self._adapter = None
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

    def _union(self) -> TypeAdapter[Any]:
        if self._adapter is None:
            members = tuple(self._envelopes.values())
            self._adapter = TypeAdapter(Annotated[Union[members], Field(discriminator="type")])  # type: ignore[valid-type]  # noqa: UP007
        return self._adapter

    def validate(self, raw: dict[str, Any] | bytes | str) -> Envelope[Any]:
        """Parse a raw event into its typed envelope or raise with a clear message."""
        if isinstance(raw, list):
            raise InvalidEvent("event must be a JSON object")
        try:
            event = self._union().validate_json(raw) if isinstance(raw, (bytes, str)) \
                else self._union().validate_python(raw)
        except ValidationError as exc:
            raise _explain(exc) from None
        expected = dataschema_for(event.type, self.version(event.type))
        if event.dataschema != expected:
            if event.dataschema is not None:
                raise UnknownEventType(
                    f"unsupported schema {event.dataschema!r} for {event.type!r} (expected {expected!r})")
            event = event.model_copy(update={"dataschema": expected})
        try:
            UUID(event.subject)
        except ValueError:
            raise InvalidEvent("event subject must be the project id (a UUID)",
                               [{"loc": ["subject"], "msg": "not a UUID", "type": "uuid"}]) from None
        return event


def _explain(exc: ValidationError) -> ValueError:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    kind = first["type"]
    if kind == "json_invalid":
        return InvalidEvent(f"event is not valid JSON: {first['msg']}")
    if kind in ("model_attributes_type", "model_type", "dict_type") and not first["loc"]:
        return InvalidEvent("event must be a JSON object")
    if kind == "union_tag_not_found":
        return InvalidEvent("event has no 'type'", [{"loc": ["type"], "msg": "field required", "type": "missing"}])
    if kind == "union_tag_invalid":
        tag = (first.get("ctx") or {}).get("tag", "?")
        return UnknownEventType(f"unknown event type {tag!r}")
    event_type = str(first["loc"][0]) if first["loc"] else "?"
    cleaned = [{"loc": [str(p) for p in e["loc"][1:]], "msg": e["msg"], "type": e["type"]} for e in errors]
    where = ".".join(cleaned[0]["loc"])
    return InvalidEvent(f"invalid {event_type} event: {where}: {first['msg']}", cleaned)


registry = EventRegistry()
event = registry.register


def payload_type(event_type: str) -> type[BaseModel]:
    return registry.payload(event_type)


def parse_event(raw: dict[str, Any] | bytes | str) -> Envelope[Any]:
    return registry.validate(raw)
