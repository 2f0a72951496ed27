"""What people think of what the AI produced."""

from typing import Any
from uuid import UUID

from pydantic import Field

from cognitest.schemas.enums import ArtifactKind, FeedbackVerdict
from cognitest.schemas.events.common import Payload
from cognitest.schemas.registry import event


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
    rating: int | None = Field(default=None, ge=1, le=5)
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
