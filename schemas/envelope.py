"""The CloudEvents 1.0 envelope every event travels in.

Core attributes keep their CloudEvents names so any CloudEvents tool reads the log; Cognitest's
extensions (`actor`, `correlationid`, `causationid`, `traceparent`) are lower-case as the spec
requires for extension names.
"""

from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

P = TypeVar("P", bound=BaseModel)

SOURCE_DEFAULT = "urn:cognitest"


def _now() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel, Generic[P]):
    """One event: who did what to which project, and when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(default_factory=lambda: str(uuid4()), min_length=1, max_length=128)
    type: str = Field(min_length=1, max_length=128, description="event type, e.g. plan.created")
    source: str = Field(default=SOURCE_DEFAULT, min_length=1, max_length=256)
    subject: str = Field(description="the project id the event belongs to")
    time: datetime = Field(default_factory=_now)
    specversion: str = "1.0"
    datacontenttype: str = "application/json"
    dataschema: str | None = Field(default=None, description="urn:cognitest:event:TYPE:vN")
    dataref: str | None = Field(default=None, description="blob reference for large content")
    actor: str = Field(default="system", min_length=1, max_length=255)
    correlationid: str | None = Field(default=None, max_length=128)
    causationid: str | None = Field(default=None, max_length=128)
    traceparent: str | None = Field(default=None, max_length=128)
    data: P

    @cached_property
    def project_id(self) -> UUID:
        return UUID(self.subject)


def dataschema_for(event_type: str, version: int) -> str:
    return f"urn:cognitest:event:{event_type}:v{version}"


def new_event(
    payload: BaseModel,
    *,
    project_id: UUID | str,
    actor: str = "system",
    source: str = SOURCE_DEFAULT,
    correlationid: str | None = None,
    causationid: str | None = None,
    traceparent: str | None = None,
    event_id: str | None = None,
    **extra: Any,
) -> Envelope[Any]:
    """Wrap a registered payload in an envelope with its type and schema filled in."""
    event_type = getattr(payload, "__event_type__", None)
    version = getattr(payload, "__event_version__", 1)
    if event_type is None:
        raise TypeError(f"{type(payload).__name__} is not a registered event payload")
    kwargs: dict[str, Any] = dict(
        type=event_type,
        source=source,
        subject=str(project_id),
        dataschema=dataschema_for(event_type, version),
        actor=actor,
        correlationid=correlationid,
        causationid=causationid,
        traceparent=traceparent,
        data=payload,
        **extra,
    )
    if event_id is not None:
        kwargs["id"] = event_id
    envelope_cls = getattr(type(payload), "__envelope__", None) or Envelope[type(payload)]  # type: ignore[misc]
    return envelope_cls(**kwargs)
