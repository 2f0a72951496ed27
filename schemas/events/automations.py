"""Automations (user-defined workflows) and their executions."""

from typing import Annotated, Any
from uuid import UUID

from pydantic import Field, StrictBool

from cognitest.schemas.enums import ExecutionStatus
from cognitest.schemas.events.common import Json, Name, Payload
from cognitest.schemas.registry import event
from cognitest.schemas.numbers import JsonInt


@event("workflow.defined")
class WorkflowDefined(Payload):
    """An automation graph was saved (a new version of it)."""

    workflow_id: UUID
    name: Name
    description: str | None = Field(default=None, max_length=10_000)
    version: JsonInt = Field(default=1, ge=1)
    graph: Json = Field(default_factory=dict, description="nodes and edges")
    enabled: StrictBool = True


@event("workflow.triggered")
class WorkflowTriggered(Payload):
    """An automation started an execution."""

    workflow_id: UUID
    execution_id: str = Field(min_length=1, max_length=255, description="the Temporal workflow id")
    trigger: str = Field(max_length=64)
    input: Json = Field(default_factory=dict)
    version: Annotated[JsonInt, Field(ge=1)] | None = Field(default=None, description="the automation version this execution runs")


@event("workflow.completed")
class WorkflowCompleted(Payload):
    """An automation execution ended."""

    workflow_id: UUID | None = None
    execution_id: str = Field(min_length=1, max_length=255)
    status: ExecutionStatus
    steps: list[dict[str, Any]] = Field(default_factory=list)
    output: Json = Field(default_factory=dict)
    error: str | None = Field(default=None, max_length=5_000)


@event("workflow.run_requested")
class WorkflowRunRequested(Payload):
    """Someone (a person, a webhook, an event trigger, a retry) asked for an automation to run.
    The execution id is `automation-<this event's id>`, so a redelivery starts nothing twice."""

    workflow_id: UUID
    trigger: str = Field(default="manual", max_length=64)
    trigger_node: str | None = Field(default=None, max_length=64)
    input: Json = Field(default_factory=dict)
    retry_of: str | None = Field(default=None, max_length=255, description="the execution this one retries")
    version: Annotated[JsonInt, Field(ge=1)] | None = Field(default=None, description="run exactly this version; unset = the latest")


@event("workflow.step_finished")
class WorkflowStepFinished(Payload):
    """One node of an automation execution ran (or started waiting, for approvals)."""

    workflow_id: UUID
    execution_id: str = Field(min_length=1, max_length=255)
    index: JsonInt = Field(ge=0)
    node: str = Field(max_length=64)
    node_type: str = Field(max_length=64)
    status: str = Field(max_length=32)
    input: Json = Field(default_factory=dict)
    output: Any = None
    error: str | None = Field(default=None, max_length=5_000)
    started_at: str | None = None
    finished_at: str | None = None
    duration_ms: JsonInt = Field(default=0, ge=0)
