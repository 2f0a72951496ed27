"""generation.requested -> start GenerationPipeline (workflow id from the generation id)."""

from typing import Any

from pydantic import BaseModel

from cognitest.schemas import Envelope
from cognitest.schemas.generation import GENERATION_WORKFLOW, GenerationInput, generation_workflow_id

CONSUMER = "generation"


def plan(event: Envelope[Any]) -> tuple[str, BaseModel, str]:
    d = event.data
    data = GenerationInput(generation_id=d.generation_id, project_id=event.project_id, actor=event.actor,
                           document_ids=d.document_ids, plan_id=d.plan_id, suite_id=d.suite_id, case_id=d.case_id,
                           engine=d.engine, correlationid=event.correlationid or event.id,
                           app=getattr(d, "app", None))
    return GENERATION_WORKFLOW, data, generation_workflow_id(d.generation_id)
