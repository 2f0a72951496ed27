"""run.requested -> run.started, run.case_finished for each case, then run.completed, run.failed
or run.cancelled. Every event id derives from the run, so a run picked up again after a crash
skips the cases it already finished and publishes nothing twice. The message is kept alive while
the run lasts; cancellation arrives on a live subscription and is also read from the read model."""

import asyncio
import time
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import async_sessionmaker

from cognitest.consumers.execution.cases import CaseRunner, CaseSpec, engine_of
from cognitest.consumers.execution.targets import cancel_requested, finished_cases, resolve
from cognitest.consumers.runtime.delivery import heartbeat
from cognitest.infra.metrics import CASES, RUNS
from cognitest.infra.blob import BlobStore
from cognitest.infra.bus.publisher import EventPublisher
from cognitest.infra.settings import BusSettings, ExecutionSettings
from cognitest.schemas import Envelope, new_event, parse_event
from cognitest.schemas.enums import CaseOutcome
from cognitest.schemas.events.runs import RunCancelled, RunCaseFinished, RunCompleted, RunFailed, RunStarted, RunTotals
from cognitest.schemas.subjects import EVENTS_PREFIX

CONSUMER = "execution"
FILTER = f"{EVENTS_PREFIX}.*.run.requested"
log = structlog.get_logger(__name__)
TOTAL_FIELDS = {"passed": "passed", "failed": "failed", "error": "errors", "skipped": "skipped", "flaky": "flaky",
                "manual": "manual"}


def _id(run_id: UUID, *parts: object) -> str:
    return str(uuid5(NAMESPACE_URL, f"cognitest:run:{run_id}:" + ":".join(map(str, parts))))


class Executor:
    def __init__(self, sessions: async_sessionmaker, nc: Client, publisher: EventPublisher, blobs: BlobStore,
                 js: JetStreamContext, bus: BusSettings, settings: ExecutionSettings, source: str) -> None:
        self.sessions = sessions
        self.nc = nc
        self.publisher = publisher
        self.js = js
        self.bus = bus
        self.settings = settings
        self.source = source
        self.blobs = blobs
        self.cancelled: set[str] = set()
        self._subscription: Any = None

    async def start(self) -> None:
        async def on_cancel(msg: Msg) -> None:
            try:
                self.cancelled.add(str(parse_event(msg.data).data.run_id))
            except Exception:  # noqa: BLE001  not our business: the projection dead-letters bad events
                pass

        self._subscription = await self.nc.subscribe(f"{EVENTS_PREFIX}.*.run.cancel_requested", cb=on_cancel)

    async def handle(self, event: Envelope[Any], msg: Msg) -> None:
        async with heartbeat([msg], max(self.bus.ack_wait / 3, 0.5)):  # a run may last long
            await self._run(event)
        await msg.ack()

    def _emit(self, event: Envelope[Any], payload: Any, event_id: str) -> Envelope[Any]:
        return new_event(payload, project_id=event.subject, actor=event.actor, source=self.source,
                         correlationid=event.correlationid or event.id, causationid=event.id, event_id=event_id)

    async def _run(self, event: Envelope[Any]) -> None:
        d = event.data
        run_id = d.run_id
        bound = log.bind(event_id=event.id, project=event.subject, run_id=str(run_id))
        started = time.perf_counter()
        try:
            cases, defaults = await resolve(self.sessions, event.project_id, d)
        except LookupError as exc:
            await self.publisher.publish(self._emit(event, RunFailed(run_id=run_id, totals=RunTotals(), reason=str(exc)),
                                                    _id(run_id, "end")))
            return
        environment = {**defaults, **(d.environment or {})}
        plan: list[CaseSpec] = []
        for case in cases:
            if engine_of(case.steps, d.device) == "web":
                plan += [CaseSpec(case.case_id, case.title, case.steps, browser) for browser in d.browsers or ["chromium"]]
            else:
                plan.append(case)
        await self.publisher.publish(self._emit(event, RunStarted(run_id=run_id, total_cases=len(plan)),
                                                _id(run_id, "started")))
        outcomes = await finished_cases(self.sessions, run_id)  # what an interrupted attempt already finished
        todo = [c for c in plan if (str(c.case_id), c.browser) not in outcomes]
        bound.info("run.started", cases=len(plan), resumed=len(plan) - len(todo))
        done_before = len(plan) - len(todo)
        runner = CaseRunner(self.settings, self.blobs)
        # a collection's requests chain through shared variables: one after another, in order
        width = 1 if d.collection_id else max(1, min(d.parallelism, self.settings.max_parallel))
        gate = asyncio.Semaphore(width)

        async def one(case: CaseSpec) -> None:
            async with gate:
                if str(run_id) in self.cancelled:
                    return
                result = await runner.run(case, environment, d.device, d.retries)
                outcomes[(str(case.case_id), case.browser)] = result.outcome
                await self.publisher.publish(self._emit(event, RunCaseFinished(
                    run_id=run_id, case_id=case.case_id, title=case.title[:500], browser=case.browser,
                    outcome=CaseOutcome(result.outcome), duration_ms=result.duration_ms, attempts=max(result.attempts, 1),
                    error=result.error, log=result.log[-200:], artifacts=result.artifacts,
                ), _id(run_id, case.case_id, case.browser or "-", "finished")))
                CASES.labels(result.outcome).inc()

        async def watch(tasks: list[asyncio.Task[None]]) -> None:
            while not all(t.done() for t in tasks):  # a cancel stops the cases that are running too
                if str(run_id) in self.cancelled:
                    for task in tasks:
                        task.cancel()
                    return
                await asyncio.sleep(0.2)

        try:
            if await cancel_requested(self.sessions, run_id):
                self.cancelled.add(str(run_id))
            tasks = [asyncio.create_task(one(c)) for c in todo]
            watcher = asyncio.create_task(watch(tasks))
            await asyncio.gather(*tasks, return_exceptions=True)
            watcher.cancel()
        finally:
            await runner.close()
        counts = {field: 0 for field in TOTAL_FIELDS.values()}
        for outcome in outcomes.values():
            counts[TOTAL_FIELDS.get(outcome, "failed")] += 1
        totals = RunTotals(total=len(plan), **counts)
        duration = int((time.perf_counter() - started) * 1000)
        if str(run_id) in self.cancelled:
            final: Any = RunCancelled(run_id=run_id, totals=totals, reason="cancelled on request")
            self.cancelled.discard(str(run_id))
        elif counts["failed"] or counts["errors"]:
            final = RunFailed(run_id=run_id, totals=totals, duration_ms=duration)
        else:
            final = RunCompleted(run_id=run_id, totals=totals, duration_ms=duration)
        await self.publisher.publish(self._emit(event, final, _id(run_id, "end")))
        RUNS.labels(final.__event_type__.split(".")[1]).inc()
        bound.info("run.finished", outcome=final.__event_type__, resumed=done_before, **counts)
