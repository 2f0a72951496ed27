"""Issue sync: each detected issue is filed in the project's trackers (JIRA, GitHub) exactly once,
and its ticket follows it: another occurrence is a comment, a resolve is a comment with the
resolution and a move to the tracker's "done" status, a reopen (the failure came back) says so and
moves it back. Every side effect is keyed in the delivery ledger; a ticket carries a marker (a JIRA
label, a hidden line in a GitHub issue) so a create interrupted mid-call is found, not repeated."""

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
SUBJECTS = ("issue.detected", "issue.occurred", "issue.resolved", "issue.updated")
DONE, ACTIVE = ("resolved", "closed"), ("open", "in_progress")


def marker(issue_id: Any) -> str:
    """What a ticket carries to be found again: a JIRA label, a line in a GitHub issue body."""
    return f"cognitest-{issue_id}"


def issue_link(settings: Any, project_id: Any, issue_id: Any) -> str:
    """The issue's page in the web UI (a person follows it from the ticket), not the JSON API."""
    return f"{public_url(settings)}/ui/projects/{project_id}/issues/{issue_id}"


def _body(event: Envelope[Any], link: str, tracker: str) -> str:
    d = event.data
    names = {"base_url": "Base URL", "browser": "Browser", "device": "Device", "commit": "Commit", "branch": "Branch",
             "run_name": "Run"}
    environment = [f"- {names.get(k, k)}: {v}" for k, v in (d.environment or {}).items() if v]
    attachments = [f"- {a.get('kind', 'file')}: {a.get('url')}" for a in d.attachments if isinstance(a, dict) and a.get("url")]
    lines = [d.description or "", *(["", "Environment:", *environment] if environment else []),
             *(["", "Screenshot and trace:", *attachments] if attachments else []),
             "", "Steps to reproduce:", *[f"# {s}" for s in d.steps_to_reproduce],
             "", "Suggested remediation:", *[f"- {r}" for r in d.remediation_suggestions], "", f"Cognitest: {link}"]
    if tracker == "github":
        lines.append(f"<!-- {marker(d.issue_id)} -->")
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
        except Exception as exc:  # noqa: BLE001  PostgreSQL or NATS away
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
        link = issue_link(self.settings, event.project_id, d.issue_id)
        if event.type == "issue.detected":
            await self._file(tracker, event, created_key, link, bound, outbound)
            return
        if event.type == "issue.occurred" and d.match == "new":  # the first occurrence is the issue itself
            return
        status = str(d.changes.status or "") if event.type == "issue.updated" else None
        if event.type == "issue.updated" and status not in (*DONE, *ACTIVE):
            return  # an edit of other fields: nothing for the ticket
        created = await self.ledger.done(created_key)
        if created is None:
            return  # filed before sync was configured, or by a person: nothing to update
        ticket, state_key = str(created["key"]), f"{tracker}:state:{d.issue_id}"
        closed = ((await self.ledger.state(state_key)) or {}).get("state") == "closed"
        if event.type == "issue.resolved" or status in DONE:
            if closed:
                return  # resolved again (or a redelivery after it was done): the ticket already says so
            resolution = getattr(d, "resolution", None)
            text = f"Resolved in Cognitest by {event.actor}{': ' + resolution if resolution else ''}.\n{link}"
            await self._comment(tracker, outbound, ticket, text, f"{tracker}:comment:{event.id}")
            await self._move(tracker, outbound, ticket, "closed", f"{tracker}:close:{event.id}")
            await self.ledger.set_state(state_key, tracker, {"state": "closed", "event": event.id})
            bound.info("issue_sync.resolved", tracker=tracker, key=ticket)
            return
        if status in ACTIVE and not closed:
            return  # already open there
        if closed:  # the failure came back after a resolve (or a person reopened it): the ticket says so
            text = (f"Reopened by {event.actor}.\n{link}" if status else
                    f"Reopened: the failure came back in run {d.run_id} ({d.case_key}): {d.error}\n{link}")
            await self._comment(tracker, outbound, ticket, text, f"{tracker}:comment:{event.id}")
            await self._move(tracker, outbound, ticket, "open", f"{tracker}:reopen:{event.id}")
            await self.ledger.set_state(state_key, tracker, {"state": "open", "event": event.id})
            bound.info("issue_sync.reopened", tracker=tracker, key=ticket)
            return
        text = f"Seen again in run {d.run_id} ({d.case_key}): {d.error}\n{link}"
        # one comment per run: the other cases of the same run failing the same way add nothing new
        await self._comment(tracker, outbound, ticket, text, f"{tracker}:seen:{d.issue_id}:{d.run_id or event.id}")
        bound.info("issue_sync.commented", tracker=tracker, key=ticket)

    async def _file(self, tracker: str, event: Envelope[Any], key: str, link: str, bound: Any, outbound: Outbound) -> None:
        d = event.data
        labels = ["cognitest", *d.tags]
        if tracker == "jira":
            action = lambda: outbound.jira_create(d.title, _body(event, link, tracker), labels=[*labels, marker(d.issue_id)])  # noqa: E731
            find = lambda: outbound.jira_find(marker(d.issue_id))  # noqa: E731
        else:
            action = lambda: outbound.github_create(d.title, _body(event, link, tracker), labels=labels)  # noqa: E731
            find = lambda: outbound.github_find(marker(d.issue_id))  # noqa: E731
        created = await self.ledger.once(key, tracker, action, find=find)
        await self.publisher.publish(new_event(
            IssueLinked(issue_id=d.issue_id, tracker=tracker, key=str(created["key"]), url=created.get("url")),
            project_id=event.project_id, actor="issue-sync", source=self.settings.source, causationid=event.id,
            correlationid=event.correlationid, event_id=str(derived("linked", tracker, d.issue_id))))
        bound.info("issue_sync.created", tracker=tracker, key=created["key"], deduplicated=bool(created.get("deduplicated")))

    async def _comment(self, tracker: str, outbound: Outbound, ticket: str, text: str, key: str) -> None:
        if tracker == "jira":
            await self.ledger.once(key, tracker, lambda: outbound.jira_comment(ticket, text))
        else:
            await self.ledger.once(key, tracker, lambda: outbound.github_comment(ticket, text))

    async def _move(self, tracker: str, outbound: Outbound, ticket: str, state: str, key: str) -> None:
        """Close or reopen the ticket (a transition is idempotent at the target: no lookup needed)."""
        integrations = outbound.settings
        if tracker == "jira":
            names = integrations.jira_done_statuses if state == "closed" else integrations.jira_reopen_statuses
            await self.ledger.once(key, tracker, lambda: outbound.jira_transition(ticket, names))
        else:
            await self.ledger.once(key, tracker, lambda: outbound.github_state(ticket, state))
