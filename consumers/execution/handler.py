"""run.requested -> run.started, run.case_finished for each case, then run.completed, run.failed
or run.cancelled. Every event id derives from the run, so a run picked up again after a crash
skips the cases it already finished and publishes nothing twice. The message is kept alive while
the run lasts; cancellation arrives on a live subscription and is also read from the read model.

A process carries up to `max_runs` runs at once and `max_parallel` cases at once across them (its
browser limit). A run waits, its message kept alive, until its project has a free slot in the
per-project quota shared by all execution processes, so the pull loop goes on to other
projects' runs meanwhile."""

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
from cognitest.consumers.execution.postman.sandbox import PostmanSandbox
from cognitest.consumers.execution.targets import cancel_requested, finished_cases, resolve
from cognitest.consumers.execution.uploads import ProjectFiles
from cognitest.consumers.runtime.delivery import heartbeat
from cognitest.infra.metrics import CASES, RUNS, RUNS_ACTIVE, RUNS_QUEUED
from cognitest.infra.run_quota import RunQuota
from cognitest.infra.blob import BlobStore
from cognitest.infra.bus.publisher import EventPublisher
from cognitest.infra.execution_guard import project_policy
from cognitest.infra.settings import BusSettings, ExecutionSettings
from cognitest.schemas import Envelope, new_event, parse_event
from cognitest.schemas.enums import CaseOutcome
from cognitest.schemas.events.runs import RunCancelled, RunCaseFinished, RunCompleted, RunFailed, RunStarted, RunTotals
from cognitest.schemas.subjects import EVENTS_PREFIX

CONSUMER = "execution"
FILTER = f"{EVENTS_PREFIX}.*.run.requested"
log = structlog.get_logger(__name__)
TOTAL_FIELDS = {"passed": "passed", "failed": "failed", "error": "errors", "skipped": "skipped", "flaky": "flaky",
                "manual": "manual", "unverified": "unverified",
                "untested": "untested"}


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
        self.quota = RunQuota(sessions, settings.max_runs_per_project, ttl=max(bus.ack_wait * 3, 15.0))
        self.run_slots = asyncio.Semaphore(settings.max_runs)
        self.case_slots = asyncio.Semaphore(max(1, settings.max_parallel))
        self.accepted = asyncio.Semaphore(settings.max_runs * 25)  # runs held at once, waiting or running
        self.carried: dict[str, asyncio.Task[None]] = {}
        self.leased: set[UUID] = set()
        self._renewer: asyncio.Task[None] | None = None
        self.scripts = PostmanSandbox(settings)  # Postman scripts, for every run of this process

    async def start(self) -> None:
        async def on_cancel(msg: Msg) -> None:
            try:
                self.cancelled.add(str(parse_event(msg.data).data.run_id))
            except Exception:  # noqa: BLE001  not our business: the projection dead-letters bad events
                pass

        self._subscription = await self.nc.subscribe(f"{EVENTS_PREFIX}.*.run.cancel_requested", cb=on_cancel)
        self._renewer = asyncio.create_task(self._renew_leases())

    async def stop(self) -> None:
        """Stop carrying runs; their messages are redelivered and the runs resume where they were."""
        for task in [*self.carried.values(), *([self._renewer] if self._renewer else [])]:
            task.cancel()
        await asyncio.gather(*self.carried.values(), return_exceptions=True)
        await self.scripts.close()

    async def handle(self, event: Envelope[Any], msg: Msg) -> None:
        """Accept the run and return, so the next message can be fetched while it waits or runs."""
        await self.accepted.acquire()  # back-pressure on the pull loop once enough runs are held
        task = asyncio.create_task(self._carry(event, msg), name=f"run-{event.id}")
        self.carried[event.id] = task

        def done(_: asyncio.Task[None]) -> None:
            self.carried.pop(event.id, None)
            self.accepted.release()

        task.add_done_callback(done)

    async def _carry(self, event: Envelope[Any], msg: Msg) -> None:
        bound = log.bind(event_id=event.id, project=event.subject, run_id=str(event.data.run_id))
        try:
            async with heartbeat([msg], max(self.bus.ack_wait / 3, 0.5)):  # a run may wait and last long
                await self._take_slots(event, bound)
                RUNS_ACTIVE.inc()
                try:
                    await self._run(event)
                finally:
                    RUNS_ACTIVE.dec()
                    self.run_slots.release()
                    await self._release(event.data.run_id)
            await msg.ack()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001  not acknowledged: redelivered after ack_wait, and resumed
            bound.exception("run.crashed")

    async def _take_slots(self, event: Envelope[Any], bound: Any) -> None:
        run_id = event.data.run_id
        RUNS_QUEUED.inc()
        try:
            queued = False
            while str(run_id) not in self.cancelled and not await self.quota.try_acquire(event.project_id, run_id):
                if not queued:
                    bound.info("run.queued", reason="the project is at its limit of concurrent runs")
                    queued = True
                await asyncio.sleep(self.settings.quota_poll)
            self.leased.add(run_id)
            await self.run_slots.acquire()
        finally:
            RUNS_QUEUED.dec()

    async def _release(self, run_id: UUID) -> None:
        self.leased.discard(run_id)
        try:
            await self.quota.release(run_id)
        except Exception as exc:  # noqa: BLE001  the lease expires on its own
            log.warning("run.lease_not_released", run_id=str(run_id), error=type(exc).__name__)

    async def _renew_leases(self) -> None:
        while True:
            await asyncio.sleep(self.quota.ttl / 3)
            try:
                await self.quota.renew(list(self.leased))
            except Exception as exc:  # noqa: BLE001  the database is away: try again next time
                log.warning("run.leases_not_renewed", error=type(exc).__name__)

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
        runner = CaseRunner(self.settings, self.blobs, await project_policy(self.sessions, event.project_id, self.settings),
                            self.scripts, ProjectFiles(self.sessions, self.blobs, event.project_id))
        # a collection's requests chain through shared variables: one after another, in order
        width = 1 if d.collection_id else max(1, min(d.parallelism, self.settings.max_parallel))
        gate = asyncio.Semaphore(width)

        async def one(case: CaseSpec) -> None:
            async with gate, self.case_slots:
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

