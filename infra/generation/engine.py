"""One interface, two engines: the offline engine (deterministic heuristics, no network) and the
LLM engine (any provider through litellm). `engine_for` picks by name or settings."""

from typing import Protocol

from cognitest.infra.generation.grounded import ground_cases
from cognitest.infra.generation.learning import apply_history
from cognitest.infra.generation.offline.cases import cases_for, merge_shared
from cognitest.infra.generation.offline.plan import plan_for
from cognitest.infra.settings import LlmSettings
from cognitest.schemas.generation import FeatureJob, FeatureResult, ModelRetry, PlanJob, PlanResult, Usage


def model_retry(llm: LlmSettings) -> ModelRetry:
    """The retry policy of model calls, from the settings (COGNITEST_LLM__ATTEMPTS, ...)."""
    return ModelRetry(attempts=llm.attempts, first_delay=llm.retry_first_delay, max_delay=llm.retry_max_delay)


class Engine(Protocol):
    name: str

    async def plan(self, job: PlanJob) -> PlanResult: ...

    async def feature_cases(self, job: FeatureJob) -> FeatureResult: ...


class OfflineEngine:
    name = "offline"

    async def plan(self, job: PlanJob) -> PlanResult:
        return PlanResult(plan=plan_for(job.title, job.requirements), usage=Usage(engine=self.name))

    async def feature_cases(self, job: FeatureJob) -> FeatureResult:
        cases = merge_shared([case for requirement in job.requirements for case in cases_for(requirement)])
        if job.app_map is not None and job.app_map.pages:
            cases = ground_cases(cases, job.requirements, job.app_map)
        cases, avoided = apply_history(cases, job.examples)
        return FeatureResult(feature=job.feature, cases=cases, usage=Usage(engine=self.name), avoided=avoided)


_ENGINES: dict[str, Engine] = {}


def engine_for(name: str | None, llm: LlmSettings) -> Engine:
    """`offline`, `llm`, or None for the default: the LLM when a model is configured."""
    chosen = name or ("llm" if llm.model else "offline")
    if chosen not in _ENGINES:
        if chosen == "offline":
            _ENGINES[chosen] = OfflineEngine()
        elif chosen == "llm":
            if not llm.model:
                raise ValueError("the llm engine needs COGNITEST_LLM__MODEL")
            from cognitest.infra.generation.llm import LlmEngine

            _ENGINES[chosen] = LlmEngine(llm)
        else:
            raise ValueError(f"unknown generation engine {chosen!r} (offline or llm)")
    return _ENGINES[chosen]
