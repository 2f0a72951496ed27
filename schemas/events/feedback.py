"""What people think of what the AI produced."""

from typing import Annotated, Any
from uuid import UUID

from pydantic import Field

from cognitest.schemas.enums import ArtifactKind, FeedbackVerdict
from cognitest.schemas.events.common import Payload
from cognitest.schemas.registry import event
from cognitest.schemas.numbers import JsonInt


REJECTION_REASONS = ("irrelevant", "incorrect", "duplicate", "incomplete", "too_vague", "wrong_priority",
                     "not_testable", "other")


class FieldChange(Payload):
    """One field a person changed in a generated artifact."""

    field: str = Field(max_length=64)
    before: Any = None
    after: Any = None


@event("feedback.recorded")
class FeedbackRecorded(Payload):
    """A person accepted, rejected, modified or rated a generated artifact."""

    feedback_id: UUID
    artifact_kind: ArtifactKind
    artifact_id: UUID
    verdict: FeedbackVerdict
    agent: str = Field(default="case", max_length=50)
    reason: str | None = Field(default=None, max_length=64)
    comment: str | None = Field(default=None, max_length=5_000)
    rating: Annotated[JsonInt, Field(ge=1, le=5)] | None = Field(default=None)
    before: dict[str, Any] | None = Field(default=None, description="modified: the edited fields as they were")
    after: dict[str, Any] | None = Field(default=None, description="modified: the edited fields as they became")
    diff: list[FieldChange] = Field(default_factory=list, max_length=100, description="modified: field by field")
