"""Data passed between the generation pipeline's workflow and its activities."""

from uuid import UUID

from pydantic import BaseModel, Field

from cognitest.schemas.exploration import AppMap
from cognitest.schemas.generation import (  # noqa: F401  the retry policy is re-exported for the workflow
    MODEL_ATTEMPTS,
    MODEL_FIRST_DELAY,
    MODEL_MAX_DELAY,
    Example,
    FeatureResult,
    GenerationInput,
    ModelRetry,
    PlanResult,
    Requirement,
)


class ExistingCase(BaseModel):
    id: UUID
    title: str
    category: str | None = None
    requirement_ids: list[str] = Field(default_factory=list)
    edited: bool = False


class Loaded(BaseModel):
    title: str
    requirements: list[Requirement]
    document_ids: list[UUID] = Field(default_factory=list)
    plan_id: UUID | None = None
    suite_id: UUID | None = None
    suite_name: str | None = None
    existing: list[ExistingCase] = Field(default_factory=list)


class RequirementQuery(BaseModel):
    key: str
    text: str


class RetrievalJob(BaseModel):
    project_id: UUID
    requirements: list[RequirementQuery]
    limit: int = 8


class DraftQuery(BaseModel):
    index: int
    title: str
    expected_result: str = ""
    actions: list[str] = Field(default_factory=list)


class DuplicateJob(BaseModel):
    project_id: UUID
    drafts: list[DraftQuery]
    exclude_case_ids: list[str] = Field(default_factory=list, description="cases being regenerated")


class Duplicate(BaseModel):
    index: int
    case_id: str
    title: str
    score: float
    requirement_ids: list[str] = Field(default_factory=list, description="what the existing case traces already")
    strength: str = Field(default="weak", description="concrete or weak (placeholder steps): how well the existing case checks")


class Progress(BaseModel):
    generation: GenerationInput
    stage: str
    done: int
    total: int
    message: str | None = None


class PublishJob(BaseModel):
    generation: GenerationInput
    loaded: Loaded
    plan: PlanResult | None = None
    features: list[FeatureResult]
    examples: list[Example] = Field(default_factory=list)
    duplicates: list[Duplicate] = Field(default_factory=list, description="drafts linked to existing cases instead")
    app_map: AppMap | None = None


class Failure(BaseModel):
    generation: GenerationInput
    reason: str





def retry_delay(attempt: int, policy: ModelRetry | None = None) -> float:
    return (policy or ModelRetry()).delay(attempt)
