"""project.created -> start ProjectBootstrap in Temporal (workflow id from the project)."""

from typing import Any

from pydantic import BaseModel

from cognitest.schemas import Envelope
from cognitest.schemas.workflows import BOOTSTRAP_WORKFLOW, BootstrapInput, bootstrap_workflow_id

CONSUMER = "project-bootstrap"


def plan(event: Envelope[Any]) -> tuple[str, BaseModel, str]:
    data = BootstrapInput(project_id=event.project_id, actor=event.actor,
                          correlationid=event.correlationid or event.id, causationid=event.id)
    return BOOTSTRAP_WORKFLOW, data, bootstrap_workflow_id(event.subject)


def planner(settings: Any) -> Any:
    """`plan` as it is (the bootstrap workflow takes nothing from the settings)."""
    return plan
