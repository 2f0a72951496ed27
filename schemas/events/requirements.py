"""Requirement documents: uploaded, parsed into atomic requirements, or refused."""

from uuid import UUID

from pydantic import BaseModel, Field

from cognitest.schemas.enums import Priority, RequirementKind
from cognitest.schemas.events.common import Name, Payload
from cognitest.schemas.registry import event
from cognitest.schemas.numbers import JsonInt


@event("requirement.uploaded")
class RequirementUploaded(Payload):
    """A requirement document was stored in the blob store; the event carries its reference."""

    document_id: UUID
    filename: Name
    media_type: str = Field(max_length=255)
    size_bytes: JsonInt = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    blob_ref: str = Field(min_length=1, max_length=1024)


class GherkinStep(BaseModel):
    keyword: str = Field(max_length=16)
    text: str = Field(max_length=10_000)


class AtomicRequirement(BaseModel):
    key: str = Field(min_length=1, max_length=64, description="REQ-1, FR-3.2, a story key ...")
    title: str = Field(max_length=500)
    text: str = Field(max_length=20_000)
    kind: RequirementKind = RequirementKind.functional
    priority: Priority = Priority.medium
    acceptance_criteria: list[list[GherkinStep]] = Field(default_factory=list)
    section: str | None = Field(default=None, max_length=500, description="the heading or feature it sits under")
    lines: tuple[int, int] | None = Field(default=None, description=(
        "its first and last line in the document (text formats, feature files, CSV rows, HTML elements); "
        "none for DOCX, PDF and JSON"))


@event("requirement.parsed")
class RequirementParsed(Payload):
    """A document was split into atomic requirements."""

    document_id: UUID
    requirements: list[AtomicRequirement] = Field(max_length=5_000)


@event("requirement.rejected")
class RequirementRejected(Payload):
    """A document could not be parsed; the reason says why."""

    document_id: UUID
    reason: str = Field(min_length=1, max_length=2_000)
