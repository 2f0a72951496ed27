"""Tickets closed or reopened in JIRA or GitHub, told back here by their webhooks: a ticket moved to
a done status (or a closed GitHub issue) resolves its Cognitest issue; moved back (or reopened)
reopens it; any other status change is noted on the issue's link. Deliveries are signed with the
project's `integrations.tracker_webhook_secret` (GitHub's `X-Hub-Signature-256`, JIRA's
`X-Hub-Signature`: HMAC-SHA256 of the body) and a replayed delivery (`X-GitHub-Delivery`,
`X-Atlassian-Webhook-Identifier`, `Idempotency-Key`) changes nothing twice. The ticket is found by
the marker Cognitest put on it (the `cognitest-<issue id>` label or body line), else by its key."""

import json
import re
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from cognitest.infra.db import models as m
from cognitest.infra.identity.crypto import reveal
from cognitest.infra.integrations.ledger import Ledger
from cognitest.infra.integrations.signing import verify
from cognitest.producers.api.access.principal import Principal
from cognitest.producers.api.commands import envelope_for, publish
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.routes.hooks import delivery_id, replayed
from cognitest.producers.api.state import AppState, get_state
from cognitest.schemas.events.issues import IssueChanges, IssueLinked, IssueResolved, IssueUpdated

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/hooks", tags=["issues"])
_MARKER = re.compile(r"cognitest-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
_OPEN = {"open", "in_progress"}


def _ticket(tracker: str, body: dict[str, Any]) -> tuple[str, str, str, str] | None:
    """(ticket key, its new state: done, open or other, its status as the tracker names it, who)."""
    if tracker == "github":
        issue = body.get("issue") or {}
        action = body.get("action")
        if not issue or action not in ("closed", "reopened", "edited", "labeled"):
            return None
        state = {"closed": "done", "reopened": "open"}.get(str(action), "other")
        return (str(issue.get("number")), state, str(issue.get("state") or action),
                str((body.get("sender") or {}).get("login") or "github"))
    issue = body.get("issue") or {}
    status = str(((issue.get("fields") or {}).get("status") or {}).get("name") or "")
    if not issue.get("key") or not status:
        return None
    return str(issue["key"]), status, status, str((body.get("user") or {}).get("displayName") or "jira")


async def _issue(state: AppState, project_id: UUID, tracker: str, key: str, body: dict[str, Any]) -> m.Issue | None:
    text = json.dumps(body.get("issue") or {})[:200_000]
    marker = _MARKER.search(text)
    async with state.sessions() as session:
        q = select(m.Issue).where(m.Issue.project_id == project_id, m.Issue.deleted_at.is_(None))
        if marker:
            found = (await session.execute(q.where(m.Issue.id == UUID(marker.group(1))))).scalar_one_or_none()
            if found is not None:
                return found
        link_key = key if tracker == "jira" else f"#{key}"
        rows = await session.scalars(q.where(m.Issue.external[tracker]["key"].astext.in_([key, link_key])).limit(1))
        return rows.first()


@router.post("/{project_id}/trackers/{tracker}", summary="A JIRA or GitHub webhook: tickets closed or reopened there",
             description="Configure it in JIRA (Issue updated) or GitHub (Issues) with the project's "
                         "integrations.tracker_webhook_secret. A ticket moved to a done status resolves the issue; "
                         "moved back, it reopens it; other status changes are noted on the issue's link.",
             responses={200: {"description": "nothing to change, or a replayed delivery"}})
async def tracker_webhook(request: Request, state: State, project_id: UUID, tracker: Literal["jira", "github"]
                          ) -> JSONResponse:
    async with state.sessions() as session:
        project = (await session.execute(select(m.Project.settings).where(
            m.Project.id == project_id, m.Project.deleted_at.is_(None)))).first()
    if project is None:
        raise ApiError(404, f"project {project_id} not found")
    own = (project[0] or {}).get("integrations") or {}
    secret = reveal(state.cipher, own.get("tracker_webhook_secret")) or state.settings.integrations.tracker_webhook_secret
    raw = await request.body()
    signature = request.headers.get("x-hub-signature-256") or request.headers.get("x-hub-signature")
    if not secret or not verify(secret, raw, signature):
        raise ApiError(401, "missing or invalid X-Hub-Signature-256 (GitHub) or X-Hub-Signature (JIRA) signature")
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise ApiError(422, "the body must be JSON") from None
    if not isinstance(body, dict):
        raise ApiError(422, "the body must be a JSON object")
    delivery = delivery_id(request)
    ledger = Ledger(state.sessions)
    replay_key = f"tracker-hook:{project_id}:{tracker}:{delivery}"
    if (replay := await replayed(ledger, replay_key, delivery)) is not None:
        return replay
    ticket = _ticket(tracker, body)
    if ticket is None:
        return JSONResponse({"changed": False, "reason": "not a ticket status change"}, status_code=200)
    key, new_state, status, who = ticket
    issue = await _issue(state, project_id, tracker, key, body)
    if issue is None:
        return JSONResponse({"changed": False, "reason": f"no Cognitest issue is linked to {tracker} {key}"},
                            status_code=200)
    integrations = state.settings.integrations
    if tracker == "jira":
        done = {s.lower() for s in integrations.jira_done_statuses}
        reopened = {s.lower() for s in integrations.jira_reopen_statuses}
        new_state = "done" if status.lower() in done else "open" if status.lower() in reopened else "other"
    request.state.principal = Principal("webhook", f"{tracker}:{who}"[:255])
    resolved = issue.status in ("resolved", "closed")
    if new_state == "done" and not resolved:
        payload: Any = IssueResolved(issue_id=issue.id, resolution=f"{status} in {tracker.upper() if tracker == 'jira' else 'GitHub'} "
                                                                   f"{key} by {who}")
    elif new_state == "open" and resolved:
        payload = IssueUpdated(issue_id=issue.id, changes=IssueChanges(status="open"))
    else:  # nothing to change here: the link notes the ticket's status
        link = (issue.external or {}).get(tracker) or {}
        payload = IssueLinked(issue_id=issue.id, tracker=tracker, key=str(link.get("key") or key),
                              url=link.get("url"), status=status[:100])
    if new_state in ("done", "open"):  # the ticket already says so: the sync must not comment on it or move it again
        await ledger.set_state(f"{tracker}:state:{issue.id}", tracker,
                               {"state": "closed" if new_state == "done" else "open", "event": "webhook"})
    event = envelope_for(request, state, payload, project_id)
    await publish(state, event, wait=True)
    answer = {"changed": not isinstance(payload, IssueLinked), "issue_id": str(issue.id), "event": event.type,
              "event_id": event.id}
    if delivery:
        await ledger.record(replay_key, "webhook-in", answer)
    return JSONResponse(answer, status_code=202)
