"""AI generation of plans, suites and cases from a project's requirements."""

from typing import Annotated, Any
from datetime import datetime
from uuid import UUID

from pydantic import Field

from cognitest.schemas.events.common import Payload
from cognitest.schemas.exploration import AppTarget
from cognitest.schemas.registry import event
from cognitest.schemas.numbers import JsonInt, JsonNumber


@event("generation.requested")
class GenerationRequested(Payload):
    """Someone asked for a test plan to be generated from requirements."""

    generation_id: UUID
    document_ids: list[UUID] = Field(default_factory=list)
    plan_id: UUID | None = Field(default=None, description="regenerate inside an existing plan")
    suite_id: UUID | None = None
    case_id: UUID | None = None
    engine: str | None = Field(default=None, max_length=50, description="offline or llm; default from settings")
    app: AppTarget | None = Field(default=None, description=(
        "explore this running web application first, ground cases in its pages and dry-run the executable ones"))


@event("generation.progress")
class GenerationProgress(Payload):
    """A generation moved forward."""

    generation_id: UUID
    stage: str = Field(max_length=64)
    done: JsonInt = Field(ge=0)
    total: JsonInt = Field(ge=0)
    message: str | None = Field(default=None, max_length=1_000)
    attempt: Annotated[JsonInt, Field(ge=1)] | None = Field(default=None, description="the model call's attempt that failed (stage retrying)")
    last_error: str | None = Field(default=None, max_length=1_000, description="why it failed, in plain words")
    next_retry_at: datetime | None = Field(default=None, description="when it is tried again; unset = not again")


@event("generation.completed")
class GenerationCompleted(Payload):
    """A generation finished; its plan, suites and cases have been published."""

    generation_id: UUID
    plan_id: UUID
    suites: JsonInt = Field(ge=0)
    cases: JsonInt = Field(ge=0)
    covered_requirements: JsonInt = Field(ge=0)
    total_requirements: JsonInt = Field(ge=0)
    uncovered: list[str] = Field(default_factory=list, description="keys of requirements no case covers")
    weakly_covered: list[str] = Field(default_factory=list, description=(
        "keys of requirements traced only by cases without concrete steps and expected results (placeholders)"))
    quality: dict[str, Any] = Field(default_factory=dict, description=(
        "the generation's quality report: requirements, cases, duplicates_merged, generic_steps, weakly_covered, "
        "cases_per_requirement"))
    engine: str | None = Field(default=None, max_length=200)
    tokens: JsonInt = Field(default=0, ge=0)
    cost_usd: JsonNumber = Field(default=0.0, ge=0)
    repairs: JsonInt = Field(default=0, ge=0)
    fallbacks_used: list[str] = Field(default_factory=list)
    duplicates: list[dict[str, Any]] = Field(default_factory=list, max_length=1000, description=(
        "generated cases not added because they duplicate an existing case: title, case_id, score"))
    avoided: list[dict[str, Any]] = Field(default_factory=list, max_length=1000, description=(
        "generated cases left out because people rejected similar ones: title, category, because"))
    examples_used: JsonInt = Field(default=0, ge=0, description="judged cases retrieved from the knowledge base")
    app: dict[str, Any] | None = Field(default=None, description=(
        "app-aware generation: pages explored, cases with executable steps, the dry run's id"))


@event("generation.failed")
class GenerationFailed(Payload):
    """A generation could not finish."""

    generation_id: UUID
    reason: str = Field(min_length=1, max_length=2_000)
