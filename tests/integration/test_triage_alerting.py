"""Triage and alerting on the real stack: failures become deduplicated issues (occurrences,
reopening, flakiness), issues are filed in JIRA once per project setting, and notification rules
deliver to Slack, signed webhooks and email, retrying and dead-lettering failures."""

import asyncio
import uuid

from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from cognitest.infra.db import models as m
from cognitest.infra.integrations.signing import verify
from tests.conftest import bootstrapped, eventually
from tests.support.fake_services import FakeServices
from tests.support.stack import PlatformStack


def junit(cases: dict[str, str | None]) -> bytes:
    """A JUnit report: case name -> failure message (None = passed)."""
    body = "".join(
        f'<testcase classname="shop.Checkout" name="{name}" time="0.1">'
        + (f'<failure message="{msg}">{msg}\n  at pay (src/pay.js:{len(name)}:3)</failure>' if msg else "")
        + "</testcase>"
        for name, msg in cases.items())
    # every CI run writes its own timestamp: the same content twice would be one import (deduplicated)
    stamp = datetime.now(UTC).isoformat()
    return f'<?xml version="1.0"?><testsuite name="ci" tests="{len(cases)}" timestamp="{stamp}">{body}</testsuite>'.encode()


async def upload(api: httpx.AsyncClient, pid: str, cases: dict[str, str | None]) -> str:
    r = await api.post(f"/api/v1/projects/{pid}/results", params={"wait": "true"},
                       files=[("files", ("report.xml", junit(cases), "application/xml"))])
    assert r.status_code == 201, r.text
    return r.json()["run_id"]


async def issues_of(api: httpx.AsyncClient, pid: str) -> list[dict]:  # type: ignore[type-arg]
    return (await api.get(f"/api/v1/projects/{pid}/issues", params={"limit": 100})).json()["items"]


async def test_same_failure_in_three_runs_is_one_issue_with_three_occurrences(api: httpx.AsyncClient, project: dict) -> None:
    pid = project["id"]
    runs = []
    for attempt in range(3):
        runs.append(await upload(api, pid, {
            "pays by card": f"AssertionError: expected status 200 but got 500 for order {1000 + attempt}",
            "shows receipt": f"TimeoutError: locator.click: Timeout {5000 + attempt}ms exceeded",
            "lists products": None}))

    async def settled():
        found = await issues_of(api, pid)
        return found if len(found) == 2 and all(i["occurrences"] == 3 for i in found) else None
    found = await eventually(settled, timeout=30)
    assert all(sorted(i["run_ids"]) == sorted(runs) for i in found)
    [card] = [i for i in found if "pays by card" in i["title"]]
    [receipt] = [i for i in found if "shows receipt" in i["title"]]
    assert "got 500" in card["title"] and "Timeout" in receipt["title"]
    assert card["detected_by"] == "triage" and card["status"] == "open" and card["severity"] in ("high", "medium")
    assert card["remediation_suggestions"] and card["signature"]


async def test_a_resolved_issue_reopens_when_its_failure_comes_back(api: httpx.AsyncClient, project: dict) -> None:
    pid = project["id"]
    await upload(api, pid, {"refunds": "KeyError: 'amount'"})
    [issue] = await eventually(lambda: issues_of(api, pid), timeout=30)
    r = await api.patch(f"/api/v1/projects/{pid}/issues/{issue['id']}", params={"wait": "true"}, json={"status": "resolved"})
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    await upload(api, pid, {"refunds": "KeyError: 'amount'"})

    async def reopened():
        [again] = await issues_of(api, pid)
        return again if again["status"] == "open" and again["occurrences"] == 2 else None
    assert (await eventually(reopened, timeout=30))["id"] == issue["id"]


async def test_a_case_that_flips_is_labelled_flaky_instead_of_opening_more(api: httpx.AsyncClient, project: dict) -> None:
    pid = project["id"]
    for outcome in ("fail", "pass", "fail", "pass", "fail"):
        await upload(api, pid, {"search": "Expected 10 results, found 0" if outcome == "fail" else None})

    async def labelled():
        cases = (await api.get(f"/api/v1/projects/{pid}/cases", params={"q": "search"})).json()["items"]
        return cases[0] if cases and "flaky" in cases[0]["tags"] else None
    await eventually(labelled, timeout=30)
    [issue] = await issues_of(api, pid)
    assert issue["occurrences"] == 2  # the first and second failures; the third is flakiness


async def test_issues_are_filed_in_jira_once_and_updated_on_recurrence(api: httpx.AsyncClient, project: dict,
                                                                       outside: FakeServices) -> None:
    pid = project["id"]
    await bootstrapped(api, pid)
    r = await api.patch(f"/api/v1/projects/{pid}", params={"wait": "true"}, json={"settings": {"issue_sync": ["jira"]}})
    assert r.status_code == 200, r.text
    marker = uuid.uuid4().hex[:10]
    await upload(api, pid, {f"coupon {marker}": "ValueError: coupon expired"})

    async def linked():
        [issue] = await issues_of(api, pid) or [None]
        return issue if issue and issue.get("external", {}).get("jira") else None
    issue = await eventually(linked, timeout=30)
    created = [r for r in outside.at("/jira/rest/api/2/issue") if marker in (r.body or {}).get("fields", {}).get("summary", "")]
    assert len(created) == 1
    fields = created[0].body["fields"]
    assert fields["project"] == {"key": "COG"} and fields["issuetype"] == {"name": "Bug"}
    assert f"/issues/{issue['id']}" in fields["description"] and "cognitest" in fields["labels"]
    key = issue["external"]["jira"]["key"]
    # the next run fails twice the same way (same error, same frame): one comment for the run
    await upload(api, pid, {f"coupon {marker}": "ValueError: coupon expired", f"coupom {marker}": "ValueError: coupon expired"})
    await eventually(lambda: _has(outside, f"/jira/rest/api/2/issue/{key}/comment"), timeout=30)

    async def both_seen():
        [again] = [i for i in await issues_of(api, pid) if i["id"] == issue["id"]]
        return again["occurrences"] == 3
    await eventually(both_seen, timeout=30)
    await asyncio.sleep(1)  # the second occurrence's sync has had its chance to comment
    [comment] = outside.at(f"/jira/rest/api/2/issue/{key}/comment")
    assert "Seen again in run" in comment.body["body"] and f"/ui/projects/{pid}/issues/{issue['id']}" in comment.body["body"]
    assert len([r for r in outside.at("/jira/rest/api/2/issue") if marker in (r.body or {}).get("fields", {}).get("summary", "")]) == 1

    # resolved here: the ticket is told and moved to Done; the failure comes back: told again, reopened
    r = await api.patch(f"/api/v1/projects/{pid}/issues/{issue['id']}", params={"wait": "true"}, json={"status": "resolved"})
    assert r.status_code == 200 and r.json()["resolved_at"] is not None
    await eventually(lambda: _is(outside, key, "Done"), timeout=30)
    assert "Resolved in Cognitest" in outside.at(f"/jira/rest/api/2/issue/{key}/comment")[-1].body["body"]
    await upload(api, pid, {f"coupon {marker}": "ValueError: coupon expired"})
    await eventually(lambda: _is(outside, key, "To Do"), timeout=30)
    comments = [c.body["body"] for c in outside.at(f"/jira/rest/api/2/issue/{key}/comment")]
    assert comments[-1].startswith("Reopened: the failure came back") and len(comments) == 3
    assert len([r for r in outside.at("/jira/rest/api/2/issue") if marker in (r.body or {}).get("fields", {}).get("summary", "")]) == 1


async def test_github_sync_files_each_issue_once(api: httpx.AsyncClient, project: dict, outside: FakeServices) -> None:
    pid = project["id"]
    await bootstrapped(api, pid)
    await api.patch(f"/api/v1/projects/{pid}", params={"wait": "true"}, json={"settings": {"issue_sync": ["github"]}})
    marker = uuid.uuid4().hex[:10]
    await upload(api, pid, {f"wishlist {marker}": "IndexError: list index out of range"})

    async def linked():
        found = await issues_of(api, pid)
        return found[0] if found and found[0].get("external", {}).get("github") else None
    issue = await eventually(linked, timeout=30)
    [created] = [r for r in outside.at("/github/repos/acme/shop/issues") if marker in (r.body or {}).get("title", "")]
    assert created.headers["authorization"] == "Bearer gh-token" and "cognitest" in created.body["labels"]
    assert issue["external"]["github"]["url"].startswith("https://github.example/issues/")


async def _has(outside: FakeServices, prefix: str) -> bool:
    return bool(outside.at(prefix))


async def _is(outside: FakeServices, key: str, status: str) -> bool:
    return outside.jira_issues.get(key, {}).get("status") == status


async def test_notification_rules_deliver_once_per_channel(stack: PlatformStack, api: httpx.AsyncClient, project: dict,
                                                           outside: FakeServices) -> None:
    pid, token = project["id"], uuid.uuid4().hex[:8]
    await bootstrapped(api, pid)
    secret = "webhook-signing-secret"
    rules = [
        {"name": "team chat", "channel": "slack", "target": f"{outside.url}/slack/{token}", "events": ["issue.detected"]},
        {"name": "ops hook", "channel": "webhook", "target": f"{outside.url}/hook/{token}", "secret": secret,
         "events": ["issue.detected"], "min_severity": "high"},
        {"name": "qa lead", "channel": "email", "target": f"lead-{token}@example.com", "events": ["results.ingested"]},
    ]
    r = await api.patch(f"/api/v1/projects/{pid}", params={"wait": "true"}, json={"settings": {"notifications": {"rules": rules}}})
    assert r.status_code == 200, r.text
    outside.failures[f"/hook/{token}"] = [503, 502]  # the webhook recovers on the third try
    await upload(api, pid, {"login": "httpx.ConnectError: [Errno 111] Connection refused"})

    async def delivered():
        hooks = [h for h in outside.at(f"/hook/{token}") if h.body]
        return len(outside.at(f"/slack/{token}")) == 1 and len(hooks) == 3 and any(
            f"lead-{token}@example.com" in mail.recipients for mail in outside.mails)
    await eventually(delivered, timeout=60)
    [slack] = outside.at(f"/slack/{token}")
    # the link is the issue's page in the UI (a person follows it), not the JSON API
    assert "New high issue" in slack.body["text"] and f"/ui/projects/{pid}/issues/" in slack.body["text"]
    hook = outside.at(f"/hook/{token}")[-1]
    assert verify(secret, hook.raw, hook.headers["x-hub-signature-256"]) and hook.body["event"]["type"] == "issue.detected"
    # every try carries the same idempotency key: a receiver can drop a repeat after a crash mid-call
    assert len({h.headers["idempotency-key"] for h in outside.at(f"/hook/{token}")}) == 1
    mail = next(mail for mail in outside.mails if f"lead-{token}@example.com" in mail.recipients)
    assert "Subject: [" in mail.content

    async def recorded():
        async with stack.sessions()() as session:
            rows = list(await session.scalars(select(m.Alert).where(m.Alert.project_id == uuid.UUID(pid))))
        return rows if len(rows) == 3 else None
    alerts = await eventually(recorded, timeout=30)
    assert all(a.ok for a in alerts) and {a.channel for a in alerts} == {"slack", "webhook", "email"}
    assert all("slack" not in a.target or token not in a.target for a in alerts)  # a Slack URL is a credential


async def test_a_delivery_that_cannot_succeed_is_recorded_and_dead_lettered(stack: PlatformStack, api: httpx.AsyncClient,
                                                                            project: dict, outside: FakeServices) -> None:
    pid, token = project["id"], uuid.uuid4().hex[:8]
    await bootstrapped(api, pid)
    rules = [{"name": "gone", "channel": "webhook", "target": f"{outside.url}/hook/{token}", "events": ["issue.created"]}]
    await api.patch(f"/api/v1/projects/{pid}", params={"wait": "true"}, json={"settings": {"notifications": {"rules": rules}}})
    outside.failures[f"/hook/{token}"] = [410]
    await api.post(f"/api/v1/projects/{pid}/issues", params={"wait": "true"}, json={"title": "manual"})

    async def failed_alert():
        async with stack.sessions()() as session:
            return (await session.scalars(select(m.Alert).where(m.Alert.project_id == uuid.UUID(pid)))).first()
    alert = await eventually(failed_alert, timeout=30)
    assert alert.ok is False and alert.status_code == 410 and "HTTP 410" in alert.error

    async def dead_lettered():
        letters = (await api.get("/api/v1/dead-letters", params={"limit": 500})).json()["items"]
        return [d for d in letters if d.get("consumer") == "alerting" and pid in (d.get("subject") or "")]
    [letter] = await eventually(dead_lettered, timeout=30)
    assert "HTTP 410" in letter["reason"]
    assert len(outside.at(f"/hook/{token}")) == 1  # not retried: a 410 will not get better


async def test_a_gotestsum_report_with_generic_messages_is_one_issue_per_failure(api: httpx.AsyncClient,
                                                                                 project: dict) -> None:
    """33 different Go failures whose message is "Failed": at least 30 issues (was: one issue with
    66 occurrences after a second import); the next CI run failing the same way adds occurrences."""
    from tests.support.generic_reports import gotestsum

    pid = project["id"]
    for seed in (1, 2):  # two CI runs: the same failures, other timings, lines and addresses
        r = await api.post(f"/api/v1/projects/{pid}/results", params={"wait": "true"},
                           files=[("files", ("gotestsum.xml", gotestsum(seed=seed), "application/xml"))])
        assert r.status_code == 201 and r.json()["totals"]["failed"] == 33, r.text

    async def settled():
        found = (await api.get(f"/api/v1/projects/{pid}/issues", params={"limit": 100})).json()["items"]
        return found if found and sum(i["occurrences"] for i in found) == 66 else None
    found = await eventually(settled, timeout=60)
    assert len(found) >= 30, [(i["title"], i["occurrences"]) for i in found]
    assert not any(i["title"].endswith(": Failed") for i in found)  # titles say what failed
