"""Activities of AutomationRun. Bookkeeping publishes events whose ids derive from the execution
and the step, so a retry publishes the same event (JetStream drops the copy); side effects go
through the delivery ledger under the step's idempotency key."""

import hashlib
from uuid import UUID
from typing import Any

import structlog
from temporalio import activity
from sqlalchemy import select
from temporalio.exceptions import ApplicationError

from cognitest.infra.automations.definitions import load_definition
from cognitest.infra.automations.outcomes import generation_outcome, issue_cases, public_url, run_outcome
from cognitest.infra.bus.publisher import EventPublisher
from cognitest.infra.db.models import Project
from cognitest.infra.integrations.ledger import Ledger
from cognitest.infra.integrations.outbound import DeliveryFailed, Outbound
from cognitest.infra.metrics import EXECUTIONS
from cognitest.infra.settings import Settings
from cognitest.schemas import new_event, payload_type
from cognitest.schemas.automation.execution import (
    Definition,
    ExecutionInput,
    ExecutionRecord,
    Finished,
    StepJob,
    StepRecord,
    derived_uuid,
)
from cognitest.schemas.enums import ExecutionStatus
from cognitest.schemas.events.automations import WorkflowCompleted, WorkflowStepFinished, WorkflowTriggered
from cognitest.schemas.events.generation import GenerationRequested
from cognitest.schemas.events.issues import IssueLinked
from cognitest.schemas.events.runs import RunRequested
from cognitest.schemas.registry import InvalidEvent, UnknownEventType

log = structlog.get_logger(__name__)
MAX_VALUE_CHARS = 16_000
MISSING_ATTEMPTS = 8  # ~30 s of backoff: far longer than the projection's lag


def not_retryable(message: str) -> ApplicationError:
    return ApplicationError(message, type="NotRetryable", non_retryable=True)


def bounded(value: Any) -> Any:
    """Keep events under the bus's size limit: a large output is cut to a preview."""
    import json

    text = json.dumps(value, default=str)
    return value if len(text) <= MAX_VALUE_CHARS else {"truncated": True, "preview": text[:2000]}


class AutomationActivities:
    def __init__(self, settings: Settings, sessions: Any, publisher: EventPublisher, outbound: Outbound) -> None:
        self.settings = settings
        self.sessions = sessions
        self.publisher = publisher
        self.outbound = outbound
        self.ledger = Ledger(sessions)

    def all(self) -> list[Any]:
        return [self.load_definition, self.record_start, self.record_step, self.record_finish, self.request_run,
                self.load_run, self.request_generation, self.load_generation, self.http_request, self.slack,
                self.jira, self.github, self.email, self.publish_event]

    def _event(self, payload: Any, project_id: Any, actor: str, event_id: str, correlationid: str | None = None) -> Any:
        return new_event(payload, project_id=project_id, actor=actor, source=self.settings.source,
                         event_id=str(derived_uuid("event", event_id)), correlationid=correlationid)

    # --- bookkeeping ---------------------------------------------------------------------------

    @activity.defn(name="load_definition")
    async def load_definition(self, data: ExecutionInput) -> Definition:
        definition = await load_definition(self.sessions, data.workflow_id, data.version)
        if definition is None:
            what = f"automation {data.workflow_id} version {data.version or 'latest'}"
            if activity.info().attempt >= MISSING_ATTEMPTS:  # not a projection lag any more: it does not exist
                raise not_retryable(f"{what} does not exist")
            raise ApplicationError(f"{what} not found (yet)")
        return definition.model_copy(update={"project_url": f"{public_url(self.settings)}/ui/projects/{data.project_id}"})

    @activity.defn(name="record_start")
    async def record_start(self, record: ExecutionRecord) -> None:
        payload = WorkflowTriggered(workflow_id=record.workflow_id, execution_id=record.execution_id,
                                    trigger=record.trigger, input=bounded(record.input), version=record.version)
        await self.publisher.publish(self._event(payload, record.project_id, record.actor, f"{record.execution_id}:start",
                                                 record.execution_id))

    @activity.defn(name="record_step")
    async def record_step(self, record: StepRecord) -> None:
        s = record.step
        payload = WorkflowStepFinished(workflow_id=record.workflow_id, execution_id=record.execution_id, index=record.index,
                                       node=s.node[:64], node_type=s.type, status=s.status, input=bounded(s.input),
                                       output=bounded(s.output), error=(s.error or None) and s.error[:5000],
                                       started_at=s.started_at, finished_at=s.finished_at, duration_ms=s.duration_ms)
        await self.publisher.publish(self._event(payload, record.project_id, "automation",
                                                 f"{record.execution_id}:step:{record.index}:{s.status}", record.execution_id))

    @activity.defn(name="record_finish")
    async def record_finish(self, record: ExecutionRecord) -> None:
        steps = [bounded(s.model_dump()) for s in record.steps][-200:]
        payload = WorkflowCompleted(workflow_id=record.workflow_id, execution_id=record.execution_id,
                                    status=ExecutionStatus(record.status), steps=steps, output=bounded(record.output),
                                    error=record.error)
        await self.publisher.publish(self._event(payload, record.project_id, record.actor, f"{record.execution_id}:finish",
                                                 record.execution_id))
        EXECUTIONS.labels(record.status or "unknown").inc()

    # --- waiting actions -----------------------------------------------------------------------

    @activity.defn(name="request_run")
    async def request_run(self, job: StepJob) -> dict[str, Any]:
        c = job.config
        run_id = derived_uuid("run", job.key)
        case_ids = list(c.get("case_ids") or [])
        if c.get("issue_id"):
            found = await issue_cases(self.sessions, job.project_id, str(c["issue_id"]))
            if not found:
                raise not_retryable(f"{job.node_id}: issue {c['issue_id']} has no related test case to re-run")
            case_ids += [case_id for case_id in found if case_id not in case_ids]
        try:
            payload = RunRequested(run_id=run_id, name=f"automation {job.execution_id[-12:]} · {job.node_id}",
                                   suite_id=c.get("suite_id") or None, plan_id=c.get("plan_id") or None,
                                   case_ids=case_ids, environment=c.get("environment") or {},
                                   browsers=c.get("browsers") or ["chromium"], retries=c.get("retries") or 0)
        except ValueError as exc:
            raise not_retryable(f"{job.node_id}: cannot request the run: {exc}") from None
        if not (payload.suite_id or payload.plan_id or payload.case_ids):
            raise not_retryable(f"{job.node_id}: a run needs a suite_id, plan_id, case_ids or issue_id")
        await self.publisher.publish(self._event(payload, job.project_id, job.actor, f"{job.key}:run", job.execution_id))
        return {"id": str(run_id)}

    @activity.defn(name="load_run")
    async def load_run(self, finished: Finished) -> dict[str, Any]:
        outcome = await run_outcome(self.sessions, finished.id, self.settings)
        if outcome is None:  # the projection has not applied the run's end yet: retried
            raise ApplicationError(f"run {finished.id} not projected yet")
        return outcome

    @activity.defn(name="request_generation")
    async def request_generation(self, job: StepJob) -> dict[str, Any]:
        c = job.config
        generation_id = derived_uuid("generation", job.key)
        documents = [d for d in [*(c.get("document_ids") or []), c.get("document_id")] if d]
        try:
            payload = GenerationRequested(generation_id=generation_id, document_ids=documents, engine=c.get("engine"))
        except ValueError as exc:
            raise not_retryable(f"{job.node_id}: cannot request the generation: {exc}") from None
        await self.publisher.publish(self._event(payload, job.project_id, job.actor, f"{job.key}:generation", job.execution_id))
        return {"id": str(generation_id)}

    @activity.defn(name="load_generation")
    async def load_generation(self, finished: Finished) -> dict[str, Any]:
        if finished.status != "completed":
            raise not_retryable(f"generation {finished.id} failed: {finished.detail.get('reason')}")
        return generation_outcome(finished)

    # --- side effects ----------------------------------------------------------------------------

    async def _outbound(self, job: StepJob) -> Outbound:
        """The project's own integrations and target guard over the instance's."""
        async with self.sessions() as session:
            settings = await session.scalar(select(Project.settings).where(Project.id == job.project_id))
        return self.outbound.for_project(settings, self.settings.execution.allow_private_targets)

    async def _once(self, job: StepJob, channel: str, action: Any, find: Any = None) -> dict[str, Any]:
        try:
            return await self.ledger.once(job.key, channel, action, find=find)
        except DeliveryFailed as exc:
            log.warning("automation.delivery_failed", execution_id=job.execution_id, node=job.node_id, error=str(exc),
                        retryable=exc.retryable, project=str(job.project_id))
            if exc.retryable:
                raise ApplicationError(str(exc)) from None
            raise not_retryable(str(exc)) from None

    @activity.defn(name="automation_http_request")
    async def http_request(self, job: StepJob) -> dict[str, Any]:
        c, outbound = job.config, await self._outbound(job)

        async def call() -> dict[str, Any]:
            result = await outbound.http(c.get("method", "POST"), c["url"], c.get("headers") or {}, c.get("body"),
                                              float(c.get("timeout_seconds") or 30))
            expected = c.get("expect_status") or []
            ok = result["status"] in expected if expected else 200 <= result["status"] < 300
            if not ok:
                raise DeliveryFailed(f"{c['url']} answered HTTP {result['status']}", retryable=result["status"] >= 500)
            return {"status": result["status"], "body": bounded(result["body"])}

        return await self._once(job, "http", call)

    @activity.defn(name="automation_slack")
    async def slack(self, job: StepJob) -> dict[str, Any]:
        outbound = await self._outbound(job)
        target = job.config.get("webhook_url") or job.config.get("channel")
        return await self._once(job, "slack", lambda: outbound.slack(job.config["text"], target, key=job.key),
                                find=lambda: outbound.slack_find(target, job.key))

    @activity.defn(name="automation_jira")
    async def jira(self, job: StepJob) -> dict[str, Any]:
        c, outbound = job.config, await self._outbound(job)
        if issue := _issue_id(c):  # about a Cognitest issue: one ticket for it, whoever files it (this or issue sync)
            label = f"cognitest-{issue}"
            return await self._for_issue(job, "jira", issue, lambda: outbound.jira_create(
                c["summary"], c.get("description", ""), c.get("project_key"), c.get("issue_type"),
                [*(c.get("labels") or []), label]), lambda: outbound.jira_find(label, c.get("project_key")))
        # a label made from the step's key: a retry after a worker died mid-call finds the ticket
        label = "cognitest-" + hashlib.sha256(job.key.encode()).hexdigest()[:16]
        return await self._once(job, "jira", lambda: outbound.jira_create(
            c["summary"], c.get("description", ""), c.get("project_key"), c.get("issue_type"), [*(c.get("labels") or []), label]),
            find=lambda: outbound.jira_find(label, c.get("project_key")))

    @activity.defn(name="automation_github")
    async def github(self, job: StepJob) -> dict[str, Any]:
        c, outbound = job.config, await self._outbound(job)
        if issue := _issue_id(c):
            marker = f"cognitest-{issue}"
            return await self._for_issue(job, "github", issue, lambda: outbound.github_create(
                c["title"], f"{c.get('body', '')}\n<!-- {marker} -->", c.get("repo"), c.get("labels")),
                lambda: outbound.github_find(marker))
        return await self._once(job, "github", lambda: outbound.github_create(
            c["title"], c.get("body", ""), c.get("repo"), c.get("labels")))

    async def _for_issue(self, job: StepJob, tracker: str, issue: str, action: Any, find: Any) -> dict[str, Any]:
        """The ticket of a Cognitest issue, under the key issue sync uses: never two tickets for one
        issue; the issue is linked to it either way."""
        try:
            created = await self.ledger.once(f"{tracker}:create:{issue}", tracker, action, find=find)
        except DeliveryFailed as exc:
            if exc.retryable:
                raise ApplicationError(str(exc)) from None
            raise not_retryable(str(exc)) from None
        link = IssueLinked(issue_id=UUID(issue), tracker=tracker, key=str(created["key"]), url=created.get("url"))
        await self.publisher.publish(self._event(link, job.project_id, job.actor, f"{job.key}:link", job.execution_id))
        return {k: v for k, v in created.items() if k != "deduplicated"}

    @activity.defn(name="automation_email")
    async def email(self, job: StepJob) -> dict[str, Any]:
        c, outbound = job.config, await self._outbound(job)
        return await self._once(job, "email", lambda: outbound.email(c["to"], c["subject"], c.get("body", "")))

    @activity.defn(name="automation_publish_event")
    async def publish_event(self, job: StepJob) -> dict[str, Any]:
        c = job.config
        try:
            payload = payload_type(c["type"]).model_validate(c.get("data") or {})
        except (UnknownEventType, InvalidEvent, ValueError, KeyError) as exc:
            raise not_retryable(f"{job.node_id}: cannot publish {c.get('type')!r}: {exc}") from None
        event = self._event(payload, job.project_id, job.actor, f"{job.key}:publish", job.execution_id)
        await self.publisher.publish(event)
        return {"event_id": event.id, "type": event.type}


def _issue_id(config: dict[str, Any]) -> str | None:
    """The Cognitest issue a ticket step is about (`issue_id` in its config), if it names a valid one."""
    try:
        return str(UUID(str(config["issue_id"]))) if config.get("issue_id") else None
    except ValueError:
        return None
