"""Issue sync: file every detected issue in the project's trackers (JIRA, GitHub) once, and add
a comment there each time it occurs again. The delivery ledger remembers what was created, by
issue, so a redelivered event or a second copy of this consumer never files twice."""

from typing import Any

import structlog
from sqlalchemy import select
from nats.aio.msg import Msg

from cognitest.consumers.runtime.outlets import Outlets
from cognitest.consumers.runtime.delivery import retry_or_dead_letter, to_dead_letter, until_available
from cognitest.infra.automations.outcomes import public_url
from cognitest.infra.db.models import Project
from cognitest.infra.integrations.outbound import DeliveryFailed, Outbound
from cognitest.schemas import Envelope, new_event
from cognitest.schemas.events.issues import IssueLinked
from cognitest.consumers.triage.handler import derived

log = structlog.get_logger(__name__)
CONSUMER = "issue-sync"
SUBJECTS = ("issue.detected", "issue.occurred")


def _body(event: Envelope[Any], link: str) -> str:
    d = event.data
    lines = [d.description or "", "", "Steps to reproduce:", *[f"# {s}" for s in d.steps_to_reproduce],
             "", "Suggested remediation:", *[f"- {r}" for r in d.remediation_suggestions], "", f"Cognitest: {link}"]
    return "\n".join(lines)


class IssueSync(Outlets):
    async def handle(self, event: Envelope[Any], msg: Msg) -> None:
        bound = log.bind(event_id=event.id, project=event.subject, event_type=event.type)
        async def sync_all() -> None:
            trackers, outbound = await self._trackers(event.project_id)
            for tracker in trackers:
                await self._sync(tracker, event, bound, outbound)

        try:  # an outage (PostgreSQL, NATS) is waited out without burning deliveries
            await until_available([msg], self.settings.bus, sync_all, bound)
        except DeliveryFailed as exc:
            bound.warning("issue_sync.failed", error=str(exc), retryable=exc.retryable)
            if exc.retryable:
                await retry_or_dead_letter(self.js, CONSUMER, msg, self.settings.bus, str(exc))
            else:
                await to_dead_letter(self.js, CONSUMER, msg, str(exc))
            return
        except Exception as exc:  # PostgreSQL or NATS away
            await retry_or_dead_letter(self.js, CONSUMER, msg, self.settings.bus, f"{type(exc).__name__}: {exc}")
            return
        await msg.ack()

    async def _trackers(self, project_id: Any) -> tuple[list[str], Outbound]:
        """The project's `issue_sync` setting (e.g. ["jira"]), else the platform's default; and the
        project's own integrations (its JIRA, its repository) over the platform's."""
        async with self.sessions() as session:
            settings = (await session.execute(select(Project.settings).where(Project.id == project_id))).scalar()
        outbound = self.outbound.for_project(settings, self.settings.execution.allow_private_targets)
        chosen = (settings or {}).get("issue_sync")
        if isinstance(chosen, list):
            return [t for t in chosen if t in ("jira", "github")], outbound
        return list(self.settings.integrations.sync_issues_to), outbound

    async def _sync(self, tracker: str, event: Envelope[Any], bound: Any, outbound: Outbound) -> None:
        d = event.data
        created_key = f"{tracker}:create:{d.issue_id}"
        link = f"{public_url(self.settings)}/api/v1/projects/{event.project_id}/issues/{d.issue_id}"
        if event.type == "issue.detected":
            labels = ["cognitest", *d.tags]
            if tracker == "jira":
                action = lambda: outbound.jira_create(d.title, _body(event, link), labels=labels)  # noqa: E731
            else:
                action = lambda: outbound.github_create(d.title, _body(event, link), labels=labels)  # noqa: E731
            created = await self.ledger.once(created_key, tracker, action)
            await self.publisher.publish(new_event(
                IssueLinked(issue_id=d.issue_id, tracker=tracker, key=str(created["key"]), url=created.get("url")),
                project_id=event.project_id, actor="issue-sync", source=self.settings.source, causationid=event.id,
                correlationid=event.correlationid, event_id=str(derived("linked", tracker, d.issue_id))))
            bound.info("issue_sync.created", tracker=tracker, key=created["key"])
            return
        if d.match == "new":  # the first occurrence is the issue itself
            return
        created = await self.ledger.done(created_key)
        if created is None:
            return  # filed before sync was configured, or by a person: nothing to update
        text = f"Seen again in run {d.run_id} ({d.case_key}): {d.error}\n{link}"
        if tracker == "jira":
            comment = lambda: outbound.jira_comment(created["key"], text)  # noqa: E731
        else:
            comment = lambda: outbound.github_comment(created["key"], text)  # noqa: E731
        await self.ledger.once(f"{tracker}:comment:{event.id}", tracker, comment)
        bound.info("issue_sync.commented", tracker=tracker, key=created["key"])
