"""Activities of the generation pipeline: each reads or writes through infra, never a consumer."""

import asyncio
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID
from collections.abc import Awaitable
from typing import TypeVar

import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from cognitest.infra.bus.publisher import EventPublisher
from cognitest.infra.execution_guard import project_policy
from cognitest.infra.generation import budget
from cognitest.infra.generation.errors import plain
from cognitest.infra.generation.engine import engine_for, model_retry
from cognitest.infra.generation.llm import InvalidModelOutput
from cognitest.infra.generation.explore import explore
from cognitest.infra.generation.publishing import build_events, derived
from cognitest.infra.generation.reading import NothingToGenerate, load
from cognitest.infra.metrics import (
    CASE_CONFIDENCE,
    GENERATION_COST,
    GENERATION_PROMPT_TOKENS,
    GENERATION_SECONDS,
    GENERATION_TOKENS,
    GENERATIONS,
)
from cognitest.infra.settings import Settings
from cognitest.schemas import new_event
from cognitest.schemas.events.generation import GenerationFailed, GenerationProgress
from cognitest.schemas.exploration import AppMap, ExploreJob
from cognitest.schemas.generation import (
    FeatureJob,
    FeatureResult,
    GenerationInput,
    GenerationSummary,
    PlanJob,
    PlanResult,
)
from cognitest.schemas.pipeline import Failure, Loaded, Progress, PublishJob

log = structlog.get_logger(__name__)
T = TypeVar("T")


async def _heartbeating(work: Awaitable[T], every: float = 5.0) -> T:
    """Heartbeat while a model call runs, so a dead worker is noticed within the heartbeat
    timeout instead of the whole start-to-close timeout."""

    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(every)

    beating = asyncio.create_task(beat())
    try:
        return await work
    finally:
        beating.cancel()


class GenerationActivities:
    def __init__(self, settings: Settings, sessions: async_sessionmaker, publisher: EventPublisher) -> None:
        self.settings = settings
        self.sessions = sessions
        self.publisher = publisher

    @activity.defn(name="load_requirements")
    async def load_requirements(self, data: GenerationInput) -> Loaded:
        try:
            return await load(self.sessions, data)
        except NothingToGenerate as exc:
            raise ApplicationError(str(exc), type="NothingToGenerate", non_retryable=True) from None

    @activity.defn(name="generate_plan")
    async def generate_plan(self, job: PlanJob) -> PlanResult:
        engine = self._engine(job.engine)
        if engine.name != "offline":
            try:
                await budget.check(self.sessions, job.project_id)
            except budget.BudgetExceeded:  # the plan is written offline; each feature says why
                engine = self._engine("offline")
        started = time.perf_counter()
        try:
            result = await _heartbeating(engine.plan(job))
        except Exception as exc:  # noqa: BLE001  every model failure is said plainly; the retry policy decides
            raise await self._failed_call(exc, job.generation_id, job.project_id, "the test plan") from None
        GENERATION_SECONDS.labels(engine.name, "plan").observe(time.perf_counter() - started)
        return result

    @activity.defn(name="generate_feature")
    async def generate_feature(self, job: FeatureJob) -> FeatureResult:
        engine = self._engine(job.engine)
        if engine.name != "offline":
            try:
                await budget.check(self.sessions, job.project_id)
            except budget.BudgetExceeded as exc:  # the workflow writes this feature offline, with this reason
                raise ApplicationError(str(exc), type="BudgetExceeded", non_retryable=True) from None
        started = time.perf_counter()
        try:
            result = await _heartbeating(engine.feature_cases(job))
        except InvalidModelOutput as exc:  # not retried (it cannot get better); the tokens it cost travel with it
            usage = exc.usage.model_dump(mode="json") if exc.usage else {}
            raise ApplicationError(str(exc), usage, type="InvalidModelOutput", non_retryable=True) from None
        except Exception as exc:  # noqa: BLE001  every model failure is said plainly; the retry policy decides
            raise await self._failed_call(exc, job.generation_id, job.project_id, job.feature) from None
        GENERATION_SECONDS.labels(engine.name, "feature").observe(time.perf_counter() - started)
        return result

    async def _failed_call(self, exc: Exception, generation_id: UUID, project_id: UUID, what: str) -> ApplicationError:
        """Say on the generation record which attempt failed, why in plain words, and when the next
        one runs (Temporal's retry policy, MODEL); the error the workflow sees is the plain one, and
        a failure that cannot get better (a refused key, an unknown model) is not retried."""
        said = plain(exc)
        attempt = activity.info().attempt
        retry = model_retry(self.settings.llm)
        again = said.retryable and attempt < retry.attempts
        next_at = datetime.now(UTC) + timedelta(seconds=retry.delay(attempt)) if again else None
        when = f"next try at {next_at:%H:%M:%S} UTC" if next_at else "not tried again"
        log.warning("generation.model_call_failed", generation_id=str(generation_id), project=str(project_id),
                    what=what, attempt=attempt, error=said.message, raw=f"{type(exc).__name__}: {str(exc)[:300]}")
        try:
            await self.publisher.publish(new_event(
                GenerationProgress(generation_id=generation_id, stage="retrying", done=attempt, total=retry.attempts,
                                   message=f"{what[:200]}: attempt {attempt} failed: {said.message}; {when}"[:1000],
                                   attempt=attempt, last_error=said.message[:1000], next_retry_at=next_at),
                project_id=project_id, actor="generation", source=self.settings.source,
                event_id=str(derived(generation_id, "event", "retry", what, attempt))))
        except Exception as publish_error:  # noqa: BLE001  the note is a courtesy: the retry happens regardless
            log.info("generation.retry_note_lost", error=str(publish_error)[:200])
        return ApplicationError(said.message, type=type(exc).__name__, non_retryable=not said.retryable)

    def _engine(self, name: str | None):  # type: ignore[no-untyped-def]
        try:
            return engine_for(name, self.settings.llm)
        except ValueError as exc:
            raise ApplicationError(str(exc), type="ValueError", non_retryable=True) from None

    @activity.defn(name="explore_app")
    async def explore_app(self, job: ExploreJob) -> AppMap:
        """Visit the application under test (same origin, bounded, through the project's target
        rules) and map its pages; a site that cannot be reached gives a map with the reason."""
        policy = await project_policy(self.sessions, job.project_id, self.settings.execution)
        started = time.perf_counter()
        app = await _heartbeating(explore(job.target, policy, self.settings.execution.chromium_path))
        GENERATION_SECONDS.labels("offline", "explore").observe(time.perf_counter() - started)
        log.info("generation.explored", project=job.project_id, base_url=str(job.target.base_url), pages=len(app.pages),
                 error=app.error)
        return app

    @activity.defn(name="publish_generation")
    async def publish_generation(self, job: PublishJob) -> GenerationSummary:
        events, summary = build_events(job, self.settings.source)
        for start in range(0, len(events), 500):
            await self.publisher.publish_many(events[start:start + 500])
            activity.heartbeat(start)
        usage = summary.usage
        GENERATIONS.labels(usage.engine).inc()
        GENERATION_TOKENS.labels(usage.model or usage.engine).inc(usage.prompt_tokens + usage.completion_tokens)
        GENERATION_COST.labels(usage.model or usage.engine).inc(usage.cost_usd)
        if usage.prompt_tokens:
            model = usage.model or usage.engine
            GENERATION_PROMPT_TOKENS.labels(model, "true").inc(usage.cached_prompt_tokens)
            GENERATION_PROMPT_TOKENS.labels(model, "false").inc(max(usage.prompt_tokens - usage.cached_prompt_tokens, 0))
        for feature in job.features:
            for case in feature.cases:
                CASE_CONFIDENCE.observe(case.confidence)
        log.info("generation.published", generation_id=str(job.generation.generation_id),
                 project=str(job.generation.project_id), cases=summary.cases, suites=summary.suites)
        return summary

    @activity.defn(name="report_progress")
    async def report_progress(self, note: Progress) -> None:
        g = note.generation
        await self.publisher.publish(new_event(
            GenerationProgress(generation_id=g.generation_id, stage=note.stage, done=note.done, total=note.total,
                               message=note.message),
            project_id=g.project_id, actor=g.actor, source=self.settings.source, correlationid=g.correlationid,
            event_id=str(derived(g.generation_id, "event", "progress", note.stage))))

    @activity.defn(name="report_failure")
    async def report_failure(self, note: Failure) -> None:
        g = note.generation
        await self.publisher.publish(new_event(
            GenerationFailed(generation_id=g.generation_id, reason=note.reason[:2000]),
            project_id=g.project_id, actor=g.actor, source=self.settings.source, correlationid=g.correlationid,
            event_id=str(derived(g.generation_id, "event", "failed"))))

    def all(self) -> list:  # type: ignore[type-arg]
        return [self.load_requirements, self.explore_app, self.generate_plan, self.generate_feature,
                self.publish_generation, self.report_progress, self.report_failure]
