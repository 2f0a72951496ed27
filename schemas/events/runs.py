"""Test runs: requested, started, each case finished, then completed, failed or cancelled."""

from uuid import UUID

from pydantic import Field

from cognitest.schemas.enums import CaseOutcome
from cognitest.schemas.events.common import Json, Name, Payload
from cognitest.schemas.registry import event
from cognitest.schemas.numbers import JsonInt


@event("run.requested")
class RunRequested(Payload):
    """A person, a pipeline, a schedule or a workflow asked for a run."""

    run_id: UUID
    name: Name | None = None
    plan_id: UUID | None = None
    suite_id: UUID | None = None
    case_ids: list[UUID] = Field(default_factory=list)
    collection_id: UUID | None = Field(default=None, description="run an API collection's requests")
    environment: Json = Field(default_factory=dict, description="base_url, variables, appium_url, capabilities")
    browsers: list[str] = Field(default_factory=lambda: ["chromium"])
    device: str | None = Field(default=None, max_length=100)
    parallelism: JsonInt = Field(default=1, ge=1, le=64)
    retries: JsonInt = Field(default=0, ge=0, le=10)


@event("run.cancel_requested")
class RunCancelRequested(Payload):
    """Someone asked for a run to stop."""

    run_id: UUID


@event("run.started")
class RunStarted(Payload):
    """A run began executing."""

    run_id: UUID
    total_cases: JsonInt = Field(ge=0)


@event("run.case_finished")
class RunCaseFinished(Payload):
    """One case of a run finished."""

    run_id: UUID
    case_id: UUID
    title: str | None = Field(default=None, max_length=500)
    browser: str | None = Field(default=None, max_length=32)
    outcome: CaseOutcome
    duration_ms: JsonInt = Field(default=0, ge=0)
    attempts: JsonInt = Field(default=1, ge=1)
    error: str | None = Field(default=None, max_length=20_000)
    log: list[Json] = Field(default_factory=list)
    artifacts: list[Json] = Field(default_factory=list)


class RunTotals(Payload):
    total: JsonInt = Field(default=0, ge=0)
    passed: JsonInt = Field(default=0, ge=0)
    failed: JsonInt = Field(default=0, ge=0)
    errors: JsonInt = Field(default=0, ge=0)
    skipped: JsonInt = Field(default=0, ge=0)
    flaky: JsonInt = Field(default=0, ge=0)
    manual: JsonInt = Field(default=0, ge=0)
    unverified: JsonInt = Field(default=0, ge=0, description="cases that ran with no assertion: neither passed nor failed")
    untested: JsonInt = Field(default=0, ge=0, description="manual cases left undone when a person closed the run")


@event("run.completed")
class RunCompleted(Payload):
    """A run finished and every case passed (or was skipped)."""

    run_id: UUID
    totals: RunTotals
    duration_ms: JsonInt = Field(default=0, ge=0)


@event("run.failed")
class RunFailed(Payload):
    """A run finished with failed cases, or could not run at all."""

    run_id: UUID
    totals: RunTotals
    duration_ms: JsonInt = Field(default=0, ge=0)
    reason: str | None = Field(default=None, max_length=2_000)


@event("run.cancelled")
class RunCancelled(Payload):
    """A run was stopped before it finished."""

    run_id: UUID
    totals: RunTotals = Field(default_factory=RunTotals)
    reason: str | None = Field(default=None, max_length=2_000)

