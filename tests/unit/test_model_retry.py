"""The retry policy of model calls is a setting: the consumer puts it into the generation's input
(the workflow cannot read settings), the workflow builds Temporal's policy from it, and an input
from before the setting existed keeps the old defaults."""

import uuid

from cognitest.consumers.generation.handler import planner
from cognitest.infra.settings import LlmSettings, Settings
from cognitest.schemas import new_event
from cognitest.schemas.events.generation import GenerationRequested
from cognitest.schemas.generation import GenerationInput
from cognitest.workflows.generation.workflow import model_policy


def test_the_settings_reach_temporals_retry_policy() -> None:
    settings = Settings(llm=LlmSettings(attempts=2, retry_first_delay=0.5, retry_max_delay=4))
    event = new_event(GenerationRequested(generation_id=uuid.uuid4()), project_id=uuid.uuid4(), actor="a")
    _, data, _ = planner(settings)(event)
    assert isinstance(data, GenerationInput) and data.model_retry is not None
    policy = model_policy(data.model_retry)
    assert policy.maximum_attempts == 2 and policy.initial_interval.total_seconds() == 0.5
    assert policy.maximum_interval.total_seconds() == 4 and "InvalidModelOutput" in policy.non_retryable_error_types
    assert [data.model_retry.delay(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]


def test_an_input_from_before_the_setting_keeps_the_defaults() -> None:
    old = GenerationInput.model_validate({"generation_id": str(uuid.uuid4()), "project_id": str(uuid.uuid4())})
    policy = model_policy(old.model_retry)
    assert policy.maximum_attempts == 4 and policy.initial_interval.total_seconds() == 2.0
    assert policy.maximum_interval.total_seconds() == 30.0
