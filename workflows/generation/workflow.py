"""The generation pipeline, deterministic: load requirements -> retrieve judged examples from the
knowledge base -> plan -> one activity per feature, in parallel -> link duplicates -> publish.
Retrieval runs on the knowledge process's task queue; when that process is away, generation goes
on without history rather than waiting. Every side effect is an activity with a
timeout and a retry policy; ids of everything published derive from the generation id, so a
worker killed half-way finishes after a restart without duplicating a case."""

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from cognitest.schemas.exploration import AppMap, ExploreJob
    from cognitest.schemas.generation import (
        GENERATION_WORKFLOW,
        KNOWLEDGE_QUEUE_SUFFIX,
        Example,
        FeatureJob,
        FeatureResult,
        GenerationInput,
        GenerationSummary,
        PlanJob,
        PlanResult,
        Usage,
    )
    from cognitest.schemas.pipeline import (
        DraftQuery,
        Duplicate,
        DuplicateJob,
        Failure,
        Loaded,
        ModelRetry,
        Progress,
        PublishJob,
        RequirementQuery,
        RetrievalJob,
    )

QUICK = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=20), maximum_attempts=30,
                    non_retryable_error_types=["NothingToGenerate"])
KNOWLEDGE = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=2)
def model_policy(retry: "ModelRetry | None") -> RetryPolicy:
    """Temporal's retry of model calls, from the generation's input (the settings when it started)."""
    retry = retry or ModelRetry()
    return RetryPolicy(initial_interval=timedelta(seconds=retry.first_delay),
                       maximum_interval=timedelta(seconds=retry.max_delay), maximum_attempts=retry.attempts,
                       backoff_coefficient=2.0,
                       non_retryable_error_types=["InvalidModelOutput", "ValueError", "BudgetExceeded"])


def _spent(exc: ActivityError) -> "Usage | None":
    """The usage a failed model call reported in its error's details."""
    cause = exc.cause
    details = getattr(cause, "details", None) or ()
    if isinstance(cause, ApplicationError) and details and isinstance(details[0], dict) and details[0]:
        try:
            return Usage.model_validate(details[0])
        except ValueError:
            return None
    return None


def feature_of(requirement) -> str:  # type: ignore[no-untyped-def]
    return requirement.section or "General"


@workflow.defn(name=GENERATION_WORKFLOW)
class GenerationPipeline:
    @workflow.run
    async def run(self, data: GenerationInput) -> GenerationSummary:
        self._model = model_policy(data.model_retry)
        try:
            return await self._run(data)
        except ActivityError as exc:
            reason = str(exc.cause or exc)
            await workflow.execute_activity("report_failure", Failure(generation=data, reason=reason[:2000]),
                                            start_to_close_timeout=timedelta(seconds=30), retry_policy=QUICK)
            raise ApplicationError(f"generation failed: {reason}", non_retryable=True) from exc

    async def _progress(self, data: GenerationInput, stage: str, done: int, total: int, message: str | None = None) -> None:
        await workflow.execute_activity("report_progress", Progress(generation=data, stage=stage, done=done, total=total,
                                                                    message=message),
                                        start_to_close_timeout=timedelta(seconds=30), retry_policy=QUICK)

    async def _knowledge(self, name: str, job, result_type):  # type: ignore[no-untyped-def]
        """A lookup in the knowledge base, or nothing when its process does not answer in time."""
        try:
            return await workflow.execute_activity(
                name, job, result_type=result_type, task_queue=workflow.info().task_queue + KNOWLEDGE_QUEUE_SUFFIX,
                schedule_to_start_timeout=timedelta(seconds=15), start_to_close_timeout=timedelta(seconds=60),
                retry_policy=KNOWLEDGE)
        except ActivityError as exc:
            workflow.logger.warning("knowledge base unavailable, going on without it: %s", exc.cause or exc)
            return []

    async def _feature(self, job: FeatureJob) -> FeatureResult:
        """One feature's cases; when the model fails it for good, the offline engine writes them instead
        (and the result says which feature and why): one bad answer never discards the others."""
        async def attempt(one: FeatureJob) -> FeatureResult:
            return await workflow.execute_activity("generate_feature", one, result_type=FeatureResult,
                                                   start_to_close_timeout=timedelta(minutes=5),
                                                   heartbeat_timeout=timedelta(seconds=20), retry_policy=self._model)
        try:
            return await attempt(job)
        except ActivityError as exc:
            if job.engine == "offline" or not workflow.patched("feature-offline-fallback"):
                raise
            reason = str(exc.cause or exc)[:500]
            workflow.logger.warning("feature %s: the model failed (%s); offline cases instead", job.feature, reason)
            result = await attempt(job.model_copy(update={"engine": "offline"}))
            spent = _spent(exc)  # the failed attempts were paid for: counted with the generation
            usage = result.usage.add(spent).model_copy(update={"engine": result.usage.engine}) if spent else result.usage
            return result.model_copy(update={"fallback": f"{job.feature}: {reason}", "usage": usage})

    async def _run(self, data: GenerationInput) -> GenerationSummary:
        loaded: Loaded = await workflow.execute_activity(
            "load_requirements", data, result_type=Loaded, start_to_close_timeout=timedelta(seconds=60), retry_policy=QUICK)
        await self._progress(data, "requirements", len(loaded.requirements), len(loaded.requirements))
        app_map: AppMap | None = None
        if data.app is not None:  # app-aware: map the live application before writing cases
            app_map = await workflow.execute_activity(
                "explore_app", ExploreJob(project_id=str(data.project_id), target=data.app), result_type=AppMap,
                start_to_close_timeout=timedelta(minutes=5), heartbeat_timeout=timedelta(seconds=30),
                retry_policy=KNOWLEDGE)
            await self._progress(data, "explore", len(app_map.pages), data.app.max_pages,
                                 app_map.error or f"{len(app_map.pages)} page(s) mapped")
        examples: list[Example] = await self._knowledge(
            "knowledge_examples", RetrievalJob(project_id=data.project_id, requirements=[
                RequirementQuery(key=r.key, text=f"{r.title}. {r.text}"[:2000]) for r in loaded.requirements][:300]),
            list[Example])
        plan: PlanResult | None = None
        if loaded.suite_id is None:
            plan = await workflow.execute_activity(
                "generate_plan", PlanJob(generation_id=data.generation_id, project_id=data.project_id, title=loaded.title,
                                         requirements=loaded.requirements, examples=examples, engine=data.engine),
                result_type=PlanResult, start_to_close_timeout=timedelta(minutes=3),
                heartbeat_timeout=timedelta(seconds=20), retry_policy=self._model)
            await self._progress(data, "plan", 1, 1, plan.plan.name)
        groups: dict[str, list] = {}
        for requirement in loaded.requirements:
            groups.setdefault(feature_of(requirement), []).append(requirement)
        jobs = [FeatureJob(generation_id=data.generation_id, project_id=data.project_id, feature=name,
                           requirements=reqs, examples=examples, engine=data.engine, app_map=app_map)
                for name, reqs in groups.items()]
        results: list[FeatureResult] = list(await asyncio.gather(*[self._feature(job) for job in jobs]))
        await self._progress(data, "cases", len(results), len(jobs), f"{sum(len(r.cases) for r in results)} cases")
        duplicates: list[Duplicate] = []
        if data.case_id is None:  # one case regenerated in place cannot duplicate anything new
            drafts = [case for result in results for case in result.cases]
            duplicates = await self._knowledge("knowledge_duplicates", DuplicateJob(
                project_id=data.project_id, exclude_case_ids=[str(c.id) for c in loaded.existing],
                drafts=[DraftQuery(index=i, title=c.title, expected_result=c.expected_result,
                                   actions=[s.action for s in c.steps[:3]]) for i, c in enumerate(drafts)]),
                list[Duplicate])
        return await workflow.execute_activity(
            "publish_generation", PublishJob(generation=data, loaded=loaded, plan=plan, features=results, examples=examples,
                                             duplicates=duplicates, app_map=app_map),
            result_type=GenerationSummary, start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=timedelta(seconds=60), retry_policy=QUICK)
