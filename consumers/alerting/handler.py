"""The alerting consumer: for each event, the project's notification rules that it fires are
delivered (Slack incoming webhook, signed generic webhook, email), each once: the delivery ledger
keys them by event and rule. Every delivery is recorded as `alert.sent` with its outcome; a
failure is retried with backoff and, when retries run out or cannot help, dead-lettered."""

import asyncio
import time
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from uuid import NAMESPACE_URL, UUID, uuid5

import structlog
from nats.aio.msg import Msg
from sqlalchemy import select

from cognitest.consumers.runtime.fresh import FreshPerEvent
from cognitest.consumers.runtime.outlets import Outlets
from cognitest.consumers.runtime.delivery import delivered_count, retry_or_dead_letter, to_dead_letter, until_available
from cognitest.infra.alerting.blocks import blocks
from cognitest.infra.alerting.facts import issue_facts
from cognitest.infra.alerting.messages import compose
from cognitest.infra.identity.crypto import reveal
from cognitest.infra.alerting.rules import fires, in_quiet_hours, is_critical, project_rules
from cognitest.infra.automations.outcomes import public_url, run_outcome
from cognitest.infra.db.models import Project
from cognitest.infra.integrations.outbound import DeliveryFailed, Outbound
from cognitest.infra.metrics import ALERTS
from cognitest.schemas import Envelope, new_event
from cognitest.schemas.events.issues import AlertSent
from cognitest.schemas.notifications import NotificationRule

log = structlog.get_logger(__name__)
CONSUMER = "alerting"
RUN_WAIT_SECONDS = 10.0
QUIET = "suppressed: quiet hours"


def derived(*parts: object) -> UUID:
    return uuid5(NAMESPACE_URL, "cognitest:alert:" + ":".join(str(p) for p in parts))


@dataclass
class Alerting(Outlets):
    projects: FreshPerEvent[tuple[str, dict[str, Any]]] = field(init=False)

    def __post_init__(self) -> None:  # rules saved before an event apply to it
        self.projects = FreshPerEvent(self._load_project, frozenset({"project.updated", "project.created"}))

    async def _load_project(self, project_id: UUID, _previous: object) -> tuple[tuple[str, dict[str, Any]], int]:
        async with self.sessions() as session:
            row = (await session.execute(select(Project.name, Project.settings, Project.last_event_seq)
                                         .where(Project.id == project_id))).first()
        return ((row[0], dict(row[1] or {})), int(row[2] or 0)) if row else ((str(project_id), {}), 0)

    async def wants(self, project: str, event_type: str) -> bool:
        """Whether any enabled rule of the project may fire on this type (from the subject alone)."""
        if event_type == "alert.sent":
            return False
        try:
            _, settings = await self.projects.get(UUID(project))
        except ValueError:
            return False
        rules, _ = project_rules(settings)
        return any(fnmatchcase(event_type, pattern) for rule in rules for pattern in rule.events)

    async def handle(self, event: Envelope[Any], msg: Msg) -> None:
        if event.project_id is None or event.type == "alert.sent":
            await msg.ack()
            return
        bound = log.bind(event_id=event.id, project=event.subject, event_type=event.type)
        try:  # an outage (PostgreSQL, NATS) is waited out without burning deliveries
            failures = await until_available([msg], self.settings.bus, lambda: self._evaluate(event, bound), bound)
        except Exception as exc:  # noqa: BLE001  a bug or bad data: retry later, then dead-letter
            bound.warning("event.handler_failed", consumer=CONSUMER, error=f"{type(exc).__name__}: {exc}")
            await retry_or_dead_letter(self.js, CONSUMER, msg, self.settings.bus, f"{type(exc).__name__}: {exc}")
            return
        if not failures:
            await msg.ack()
            return
        reason = "; ".join(str(exc) for _, _, exc in failures)
        last = delivered_count(msg) >= self.settings.bus.max_deliver or not any(exc.retryable for _, _, exc in failures)
        if last:  # give up: record each failed delivery, then dead-letter the event for a redrive
            for index, rule, exc in failures:
                ALERTS.labels(rule.channel, "false").inc()
                await self._record(event, index, rule, ok=False, status_code=exc.status_code, error=str(exc)[:2000])
            await to_dead_letter(self.js, CONSUMER, msg, f"alert delivery failed: {reason}")
        else:
            await retry_or_dead_letter(self.js, CONSUMER, msg, self.settings.bus, reason)

    async def _evaluate(self, event: Envelope[Any], bound: Any) -> list[tuple[int, NotificationRule, DeliveryFailed]]:
        """Deliver the rules the event fires; the failed deliveries (deliveries already made are
        in the ledger, so trying again skips them)."""
        name, settings = await self.projects.get(event.project_id)
        rules, quiet = project_rules(settings)
        data = event.data.model_dump(mode="json")
        if event.type == "issue.occurred" and data.get("match") == "new":
            return []  # the issue's first occurrence: issue.detected already tells it, once
        firing = [(i, r) for i, r in enumerate(rules) if fires(r, event.type, data)]
        if not firing:
            return []
        return await self._deliver_all(event, data, name, firing, quiet, bound, self.outbound.for_project(settings, self.settings.execution.allow_private_targets))

    async def _deliver_all(self, event: Envelope[Any], data: dict[str, Any], project: str,
                           firing: list[tuple[int, NotificationRule]], quiet: Any, bound: Any, outbound: Outbound
                           ) -> list[tuple[int, NotificationRule, DeliveryFailed]]:
        failed_cases, run_name, environment, facts = None, None, {}, None
        if event.type.startswith("run.") and data.get("run_id"):
            outcome = await self._run(str(data["run_id"]))
            if outcome:
                failed_cases, run_name = outcome["failed_cases"], outcome["name"]
                environment = outcome.get("environment") or {}
        if event.type.startswith("issue.") and data.get("issue_id"):
            facts = await issue_facts(self.sessions, data["issue_id"], data.get("run_id"))
        base = public_url(self.settings)
        subject, text = compose(event.type, data, project, base, str(event.project_id), failed_cases, run_name, facts)
        rich = self._blocks(event, data, subject, text, base, failed_cases, environment, facts)
        failures = []
        now = datetime.now(UTC)
        for index, rule in firing:
            key = f"alert:{event.id}:{index}"
            if in_quiet_hours(rule.quiet_hours or quiet, now, is_critical(event.type, data)):
                await self._record(event, index, rule, ok=False, error=QUIET)
                continue
            if event.type == "issue.occurred" and rule.repeats == "digest":
                # one message per issue per window, saying since when and how often: later repeats are counted in it
                window = int(event.time.timestamp() // (rule.digest_minutes * 60))
                key = f"alert:digest:{event.project_id}:{index}:{data.get('issue_id')}:{window}"
                if await self.ledger.done(key) is not None:
                    await self._record(event, index, rule, ok=False,
                                       error=f"suppressed: digest (told within the last {rule.digest_minutes} min)")
                    continue
            if rule.max_per_hour and not await self._within_rate(event, index, rule):
                await self._record(event, index, rule, ok=False, error=f"suppressed: rate limit ({rule.max_per_hour}/hour)")
                continue
            try:
                response = await self.ledger.once(key, rule.channel, lambda r=rule, k=key: self._send(
                    outbound, r, event, subject, text, k, rich), find=self._find(outbound, rule, key))
            except DeliveryFailed as exc:
                bound.warning("alerting.delivery_failed", rule=rule.name, channel=rule.channel, error=str(exc))
                failures.append((index, rule, exc))
                continue
            if not response.get("deduplicated"):
                ALERTS.labels(rule.channel, "true").inc()
            # recorded again on a redelivery (found at the target, or sent before a crash that lost the
            # record): the record's id is derived from the event, so a repeat changes nothing
            await self._record(event, index, rule, ok=True, status_code=response.get("status_code"))
            bound.info("alerting.sent", rule=rule.name, channel=rule.channel, repeat=bool(response.get("deduplicated")))
        return failures

    async def _run(self, run_id: str) -> dict[str, Any] | None:
        """The run's failed cases, once the projection has applied the run's end (bounded wait)."""
        deadline = time.monotonic() + RUN_WAIT_SECONDS
        while True:
            outcome = await run_outcome(self.sessions, run_id, self.settings)
            if outcome is not None or time.monotonic() > deadline:
                return outcome
            await asyncio.sleep(0.3)

    async def _within_rate(self, event: Envelope[Any], index: int, rule: NotificationRule) -> bool:
        """Claims one of the rule's slots for this hour (a redelivered event keeps its own slot)."""
        hour = int(event.time.timestamp() // 3600)
        for slot in range(rule.max_per_hour or 0):
            if await self.ledger.claim(f"alert:rate:{event.project_id}:{index}:{hour}:{slot}", rule.channel, event.id):
                return True
        return False

    @staticmethod
    def _blocks(event: Envelope[Any], data: dict[str, Any], subject: str, text: str, base: str,
                failed_cases: list[dict[str, Any]] | None, environment: dict[str, Any],
                facts: dict[str, Any] | None) -> list[dict[str, Any]] | None:
        ui = f"{base}/ui/projects/{event.project_id}"
        summary = text.split("\n", 1)[0]
        if event.type.startswith("run.") and data.get("run_id"):
            return blocks(subject, summary, f"{ui}/runs/{data['run_id']}", "Open the run", environment, failed_cases)
        if event.type.startswith("issue.") and data.get("issue_id"):
            case = None
            if facts:
                case = {"title": facts.get("case") or facts.get("title"), "failing_step": facts.get("failing_step"),
                        "expected_actual": facts.get("expected_actual"), "error": data.get("error"),
                        "artifacts": facts.get("attachments")}
            return blocks(subject, summary, f"{ui}/issues/{data['issue_id']}", "Open the issue",
                          (facts or {}).get("environment"), [case] if case and event.type != "issue.resolved" else None)
        return None

    @staticmethod
    async def _send(outbound: Outbound, rule: NotificationRule, event: Envelope[Any], subject: str,
                    text: str, key: str, rich: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        if rule.channel == "slack":
            return await outbound.slack(text, rule.target, blocks=rich, key=key)
        if rule.channel == "webhook":
            if not rule.target:
                raise DeliveryFailed(f"rule {rule.name!r}: a webhook needs a target URL", retryable=False)
            return await outbound.webhook(rule.target, {"text": text, "subject": subject,
                                                        "event": event.model_dump(mode="json")}, rule.secret,
                                          idempotency_key=key)
        recipients = [a.strip() for a in (rule.target or "").split(",") if a.strip()]
        if not recipients:
            raise DeliveryFailed(f"rule {rule.name!r}: email needs recipients", retryable=False)
        return await outbound.email(recipients, subject, text, idempotency_key=key)

    @staticmethod
    def _find(outbound: Outbound, rule: NotificationRule, key: str) -> Any:
        """How to ask the target whether an interrupted delivery arrived: Slack's Web API by the key
        in the message's metadata. Webhooks carry the key (Idempotency-Key) and e-mail a Message-ID
        derived from it, for the receiver to drop a repeat; they cannot be asked."""
        if rule.channel == "slack":
            return lambda: outbound.slack_find(rule.target, key)
        return None

    async def _record(self, event: Envelope[Any], index: int, rule: NotificationRule, *, ok: bool,
                      status_code: int | None = None, error: str | None = None) -> None:
        target = rule.target or "default"
        if rule.channel in ("slack", "webhook"):  # webhook URLs can hold credentials: record only the host
            plain = reveal(self.outbound.box, rule.target)
            where = plain if plain and not plain.startswith(("http://", "https://")) else None  # a Slack channel id
            target = f"{rule.channel}:" + (where or (urlsplit(plain).hostname or "?") if plain else "default")
        await self.publisher.publish(new_event(
            AlertSent(alert_id=derived(event.id, index, ok), channel=rule.channel, target=target[:500],
                      about_event_id=event.id, ok=ok, status_code=status_code, error=error),
            project_id=event.project_id, actor="alerting", source=self.settings.source, causationid=event.id,
            correlationid=event.correlationid, event_id=str(derived("event", event.id, index, ok))))
