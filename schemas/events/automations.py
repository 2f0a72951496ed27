"""Automations (user-defined workflows) and their executions."""

from typing import Any
from uuid import UUID

from pydantic import Field

from cognitest.schemas.enums import ExecutionStatus
from cognitest.schemas.events.common import Json, Name, Payload
from cognitest.schemas.registry import event


@event("workflow.defined")
class WorkflowDefined(Payload):
    """An automation graph was saved (a new version of it)."""

    workflow_id: UUID
    name: Name
    description: str | None = Field(default=None, max_length=10_000)
    version: int = Field(default=1, ge=1)
    graph: Json = Field(default_factory=dict, description="nodes and edges")
    enabled: bool = True


@event("workflow.triggered")
class WorkflowTriggered(Payload):
    """An automation started an execution."""

    workflow_id: UUID
    execution_id: str = Field(min_length=1, max_length=255, description="the Temporal workflow id")
    trigger: str = Field(max_length=64)
    input: Json = Field(default_factory=dict)


@event("workflow.completed")
class WorkflowCompleted(Payload):
    """An automation execution ended."""

    workflow_id: UUID | None = None
    execution_id: str = Field(min_length=1, max_length=255)
    status: ExecutionStatus
    steps: list[dict[str, Any]] = Field(default_factory=list)
    output: Json = Field(default_factory=dict)
    error: str | None = Field(default=None, max_length=5_000)
