"""What the automation workflow and its callers exchange (data only)."""

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel, Field, StrictBool
from cognitest.schemas.numbers import JsonInt

AUTOMATION_WORKFLOW = "AutomationRun"
EXECUTION_PREFIX = "automation-"
RUN_FINISHED_SIGNAL = "run_finished"
GENERATION_FINISHED_SIGNAL = "generation_finished"
APPROVAL_SIGNAL = "approval"


class ExecutionInput(BaseModel):
    project_id: UUID
    workflow_id: UUID
    trigger: str = Field(description="manual, schedule, webhook, event or retry")
    trigger_node: str | None = Field(default=None, description="the trigger node that fired; unset = the first")
    input: dict[str, Any] = Field(default_factory=dict)
    actor: str = "system"
    version: JsonInt | None = Field(default=None, description="the graph version to run; unset = the latest")


class Definition(BaseModel):
    workflow_id: UUID
    name: str
    version: JsonInt
    enabled: StrictBool
    graph: dict[str, Any]
    project_url: str | None = Field(default=None, description="the project's page in the web UI, for links in messages")


class StepJob(BaseModel):
    """One action node, rendered: the activity's whole input."""

    project_id: UUID
    execution_id: str
    node_id: str
    node_type: str
    config: dict[str, Any]
    key: str = Field(description="idempotency key: execution, node and loop position")
    actor: str = "system"


class Step(BaseModel):
    node: str
    type: str
    status: str = Field(description="completed, failed, skipped or waiting")
    input: dict[str, Any] = Field(default_factory=dict)
    output: Any = None
    error: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    duration_ms: JsonInt = 0


class StepRecord(BaseModel):
    project_id: UUID
    workflow_id: UUID
    execution_id: str
    index: JsonInt
    step: Step


class ExecutionRecord(BaseModel):
    project_id: UUID
    workflow_id: UUID
    execution_id: str
    trigger: str
    version: JsonInt | None = None
    input: dict[str, Any] = Field(default_factory=dict)
    actor: str = "system"
    status: str | None = None
    steps: list[Step] = Field(default_factory=list)
    output: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class Finished(BaseModel):
    """What the bridge signals when a run or generation an automation asked for has ended."""

    id: str
    status: str
    detail: dict[str, Any] = Field(default_factory=dict)


class ApprovalDecision(BaseModel):
    node: str | None = Field(default=None, description="the approval node; unset = whichever is waiting")
    approved: StrictBool
    by: str = "system"
    comment: str | None = Field(default=None, max_length=2000)


def derived_uuid(*parts: object) -> UUID:
    """Ids of what an execution creates (runs, generations): the same on every retry."""
    return uuid5(NAMESPACE_URL, "cognitest:automation:" + ":".join(str(p) for p in parts))


def execution_id_for(event_id: str) -> str:
    return f"{EXECUTION_PREFIX}{event_id}"


def schedule_id_for(workflow_id: UUID | str) -> str:
    return f"{EXECUTION_PREFIX}schedule-{workflow_id}"
