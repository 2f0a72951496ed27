"""generation.requested -> start GenerationPipeline (workflow id from the generation id)."""

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from cognitest.infra.generation.engine import model_retry
from cognitest.infra.settings import Settings
from cognitest.schemas import Envelope
from cognitest.schemas.generation import GENERATION_WORKFLOW, GenerationInput, ModelRetry, generation_workflow_id

CONSUMER = "generation"


def plan(event: Envelope[Any], retry: ModelRetry | None = None) -> tuple[str, BaseModel, str]:
    d = event.data
    data = GenerationInput(generation_id=d.generation_id, project_id=event.project_id, actor=event.actor,
                           document_ids=d.document_ids, plan_id=d.plan_id, suite_id=d.suite_id, case_id=d.case_id,
                           engine=d.engine, correlationid=event.correlationid or event.id,
                           app=getattr(d, "app", None), model_retry=retry)
    return GENERATION_WORKFLOW, data, generation_workflow_id(d.generation_id)


def planner(settings: Settings) -> Callable[[Envelope[Any]], tuple[str, BaseModel, str]]:
    """`plan` with the retry policy of model calls from the settings (the workflow cannot read them)."""
    retry = model_retry(settings.llm)
    return lambda event: plan(event, retry)
