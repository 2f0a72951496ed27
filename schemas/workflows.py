"""Inputs and results of Temporal workflows (data only: workflows and their callers share these)."""

from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel, Field

BOOTSTRAP_WORKFLOW = "ProjectBootstrap"


class BootstrapInput(BaseModel):
    project_id: UUID
    actor: str = "system"
    correlationid: str | None = None
    causationid: str | None = None
    default_suites: list[str] = Field(default_factory=lambda: ["Smoke", "Regression", "Imported"])


class BootstrapResult(BaseModel):
    project_id: UUID
    published: list[str] = Field(default_factory=list, description="event ids published")
    suites: dict[str, UUID] = Field(default_factory=dict)


def bootstrap_workflow_id(project_id: UUID | str) -> str:
    return f"project-bootstrap-{project_id}"


def bootstrap_id(project_id: UUID | str, *parts: str) -> UUID:
    """Ids of what the bootstrap creates (default suites and their events): known to anyone."""
    return uuid5(NAMESPACE_URL, f"cognitest:bootstrap:{project_id}:{':'.join(parts)}")
