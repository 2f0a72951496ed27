"""Results imported from CI (JUnit XML and friends)."""

from uuid import UUID

from pydantic import BaseModel, Field, StrictBool

from cognitest.schemas.enums import CaseOutcome
from cognitest.schemas.events.common import Name, Payload
from cognitest.schemas.events.runs import RunTotals
from cognitest.schemas.registry import event
from cognitest.schemas.numbers import JsonInt


class ImportedResult(BaseModel):
    key: str = Field(min_length=1, max_length=1_000, description="classname + name")
    case_id: UUID | None = None
    outcome: CaseOutcome
    duration_ms: JsonInt = Field(default=0, ge=0)
    message: str | None = Field(default=None, max_length=20_000)


@event("results.ingested")
class ResultsIngested(Payload):
    """A batch of CI results was imported into a run."""

    run_id: UUID
    run_name: Name | None = None
    batch: JsonInt = Field(default=0, ge=0)
    last_batch: StrictBool = True
    commit: str | None = Field(default=None, max_length=64)
    branch: str | None = Field(default=None, max_length=255)
    results: list[ImportedResult] = Field(default_factory=list, max_length=2_000)
    totals: RunTotals = Field(default_factory=RunTotals)
