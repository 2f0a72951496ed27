"""What the generation engines produce, and the inputs of the generation pipeline (Temporal).

The LLM engine is asked for exactly these shapes (as JSON Schema) and its answers are validated
against them before anything is published."""

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cognitest.schemas.enums import Priority, RequirementKind
from cognitest.schemas.events.requirements import GherkinStep
from cognitest.schemas.exploration import AppMap, AppTarget
from cognitest.schemas.steps import Step

GENERATION_WORKFLOW = "GenerationPipeline"
CATEGORIES = ("functional", "negative", "boundary", "security", "accessibility", "api", "performance")


class Requirement(BaseModel):
    id: UUID
    key: str
    title: str
    text: str
    kind: RequirementKind = RequirementKind.functional
    priority: Priority = Priority.medium
    section: str | None = None
    acceptance_criteria: list[list[GherkinStep]] = Field(default_factory=list)


class ManualStep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str = Field(min_length=1, max_length=2000)
    expected: str = Field(default="", max_length=2000)


class CaseDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=500)
    category: str = Field(default="functional", description="one of " + ", ".join(CATEGORIES))

    @field_validator("category", mode="before")
    @classmethod
    def _known_category(cls, value: object) -> object:
        """A category names a suite: only the known ones (never a path or free text)."""
        text = str(value).strip().lower() if value is not None else "functional"
        if text not in CATEGORIES:
            raise ValueError(f"category must be one of {', '.join(CATEGORIES)}")
        return text
    preconditions: str | None = Field(default=None, max_length=5000)
    steps: list[ManualStep] = Field(min_length=1, max_length=50)
    expected_result: str = Field(min_length=1, max_length=5000)
    priority: Priority = Priority.medium
    tags: list[str] = Field(default_factory=list, max_length=20)
    requirement_keys: list[str] = Field(min_length=1, description="keys of the requirements this case tests")
    executable_steps: list[Step] = Field(default_factory=list, max_length=100)
    confidence: float = Field(default=0.5, ge=0, le=1)
    confidence_reasons: list[str] = Field(default_factory=list, max_length=10)


class CaseBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cases: list[CaseDraft] = Field(max_length=500)


class PlanDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=255)
    description: str = Field(default="", max_length=20_000)
    objectives: list[str] = Field(default_factory=list, max_length=50)
    scope_in: list[str] = Field(default_factory=list, max_length=100)
    scope_out: list[str] = Field(default_factory=list, max_length=100)
    approach: list[str] = Field(default_factory=list, max_length=50)
    environment: list[str] = Field(default_factory=list, max_length=50)
    entry_criteria: list[str] = Field(default_factory=list, max_length=50)
    exit_criteria: list[str] = Field(default_factory=list, max_length=50)
    risks: list[str] = Field(default_factory=list, max_length=50)
    deliverables: list[str] = Field(default_factory=list, max_length=50)

    def sections(self) -> dict[str, list[str]]:
        return self.model_dump(include={"scope_in", "scope_out", "approach", "environment", "entry_criteria",
                                        "exit_criteria", "risks", "deliverables"})


class Usage(BaseModel):
    engine: str
    model: str | None = None
    calls: int = 0
    prompt_tokens: int = 0
    cached_prompt_tokens: int = Field(default=0, description="prompt tokens the provider served from its prompt cache")
    completion_tokens: int = 0
    cost_usd: float = 0.0
    repairs: int = 0
    fallbacks_used: list[str] = Field(default_factory=list)
    unpriced_calls: int = Field(default=0, description="calls to a model with no known price: their cost is not in cost_usd")

    def add(self, other: "Usage") -> "Usage":
        return Usage(engine=self.engine, model=self.model or other.model, calls=self.calls + other.calls,
                     prompt_tokens=self.prompt_tokens + other.prompt_tokens,
                     cached_prompt_tokens=self.cached_prompt_tokens + other.cached_prompt_tokens,
                     completion_tokens=self.completion_tokens + other.completion_tokens,
                     cost_usd=self.cost_usd + other.cost_usd, repairs=self.repairs + other.repairs,
                     fallbacks_used=[*self.fallbacks_used, *other.fallbacks_used],
                     unpriced_calls=self.unpriced_calls + other.unpriced_calls)


KNOWLEDGE_QUEUE_SUFFIX = "-knowledge"  # the task queue of the process that owns the knowledge base


class Example(BaseModel):
    """A similar judged case from the project's knowledge base: what people accepted, edited or
    rejected for a requirement like `for_key`."""

    kind: str = "case"
    text: str
    score: float = 0.0
    for_key: str | None = Field(default=None, description="the requirement it was retrieved for")
    case_id: str | None = None
    title: str = ""
    category: str | None = None
    priority: str | None = None
    tags: list[str] = Field(default_factory=list)
    verdict: str | None = Field(default=None, description="accepted, modified, rejected, human (written by a person)")
    reason: str | None = None
    edits: list[dict] = Field(default_factory=list, description="modified: field, before, after")


# The retry policy of model calls (the generation workflow's), shared with the activities so a
# failed attempt can say when the next one runs; the defaults, overridden by COGNITEST_LLM__ATTEMPTS,
# __RETRY_FIRST_DELAY and __RETRY_MAX_DELAY (the consumer puts them in the workflow's input).
MODEL_ATTEMPTS = 4
MODEL_FIRST_DELAY = 2.0
MODEL_MAX_DELAY = 30.0


class ModelRetry(BaseModel):
    attempts: int = Field(default=MODEL_ATTEMPTS, ge=1, le=20)
    first_delay: float = Field(default=MODEL_FIRST_DELAY, gt=0, le=3600)
    max_delay: float = Field(default=MODEL_MAX_DELAY, gt=0, le=3600)

    def delay(self, attempt: int) -> float:
        """Seconds Temporal waits after failed attempt `attempt` (backoff 2.0, capped)."""
        return min(self.first_delay * 2 ** (attempt - 1), self.max_delay)


class GenerationInput(BaseModel):
    generation_id: UUID
    project_id: UUID
    actor: str = "system"
    document_ids: list[UUID] = Field(default_factory=list)
    plan_id: UUID | None = None
    suite_id: UUID | None = None
    case_id: UUID | None = None
    engine: str | None = None
    correlationid: str | None = None
    app: AppTarget | None = None
    model_retry: ModelRetry | None = Field(default=None, description="the retry policy of model calls; unset = defaults")


class FeatureJob(BaseModel):
    generation_id: UUID
    project_id: UUID
    feature: str
    requirements: list[Requirement]
    examples: list[Example] = Field(default_factory=list)
    engine: str | None = None
    app_map: AppMap | None = Field(default=None, description="the explored application: cases are grounded in it")


class FeatureResult(BaseModel):
    feature: str
    cases: list[CaseDraft]
    usage: Usage
    avoided: list[dict] = Field(default_factory=list, description="drafts left out: people rejected similar ones")
    fallback: str | None = Field(default=None, description="the model failed this feature (why): offline cases instead")


class PlanJob(BaseModel):
    generation_id: UUID
    project_id: UUID
    title: str
    requirements: list[Requirement]
    examples: list[Example] = Field(default_factory=list)
    engine: str | None = None


class PlanResult(BaseModel):
    plan: PlanDraft
    usage: Usage


class GenerationSummary(BaseModel):
    generation_id: UUID
    plan_id: UUID
    suites: int
    cases: int
    covered_requirements: int
    total_requirements: int
    uncovered: list[str] = Field(default_factory=list)
    weakly_covered: list[str] = Field(default_factory=list)
    quality: dict = Field(default_factory=dict)
    usage: Usage
    duplicates: list[dict] = Field(default_factory=list)
    avoided: list[dict] = Field(default_factory=list)
    app: dict | None = None


def generation_workflow_id(generation_id: UUID | str) -> str:
    return f"generation-{generation_id}"
