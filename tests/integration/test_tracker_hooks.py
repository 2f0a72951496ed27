"""Two-way tickets: JIRA's and GitHub's webhooks (signed, deduplicated by delivery id) resolve,
reopen and annotate the Cognitest issue their ticket tracks, without the sync echoing it back."""

import asyncio
import json
import uuid

import httpx

from cognitest.infra.integrations.signing import sign
from tests.conftest import bootstrapped, eventually
from tests.integration.test_triage_alerting import issues_of, upload
from tests.support.fake_services import FakeServices

SECRET = "tracker-hook-secret"


async def _post(api: httpx.AsyncClient, pid: str, tracker: str, body: dict, delivery: str, header: str,
                secret: str = SECRET) -> httpx.Response:
    raw = json.dumps(body).encode()
    id_header = "X-Atlassian-Webhook-Identifier" if tracker == "jira" else "X-GitHub-Delivery"
    return await api.post(f"/api/v1/hooks/{pid}/trackers/{tracker}", content=raw, headers={
        "content-type": "application/json", header: sign(secret, raw), id_header: delivery})


async def _status(api: httpx.AsyncClient, pid: str, issue_id: str) -> str:
    return (await api.get(f"/api/v1/projects/{pid}/issues/{issue_id}")).json()["status"]


async def test_a_jira_ticket_moved_to_done_resolves_the_issue_and_back_reopens_it(
        api: httpx.AsyncClient, project: dict, outside: FakeServices) -> None:
    pid = project["id"]
    await bootstrapped(api, pid)
    r = await api.patch(f"/api/v1/projects/{pid}", params={"wait": "true"}, json={"settings": {
        "issue_sync": ["jira"], "integrations": {"tracker_webhook_secret": SECRET}}})
    assert r.status_code == 200 and r.json()["settings"]["integrations"]["tracker_webhook_secret"] != SECRET  # masked
    marker = uuid.uuid4().hex[:10]
    await upload(api, pid, {f"coupon {marker}": "ValueError: coupon expired"})

    async def linked():
        found = [i for i in await issues_of(api, pid) if marker in i["title"]]
        return found[0] if found and found[0].get("external", {}).get("jira") else None
    issue = await eventually(linked, timeout=30)
    key = issue["external"]["jira"]["key"]
    labels = outside.jira_issues[key]["fields"].get("labels") or []
    done = {"webhookEvent": "jira:issue_updated", "user": {"displayName": "Dana Dev"},
            "issue": {"key": key, "fields": {"status": {"name": "Done"}, "labels": labels}}}
    bad = await _post(api, pid, "jira", done, "d-0", "X-Hub-Signature", secret="wrong")
    assert bad.status_code == 401 and await _status(api, pid, issue["id"]) == "open"
    comments_before = len(outside.at(f"/jira/rest/api/2/issue/{key}/comment"))
    ok = await _post(api, pid, "jira", done, "d-1", "X-Hub-Signature")
    assert ok.status_code == 202 and ok.json()["event"] == "issue.resolved"
    assert await _status(api, pid, issue["id"]) == "resolved"
    replay = await _post(api, pid, "jira", done, "d-1", "X-Hub-Signature")
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    await asyncio.sleep(1.5)  # the sync consumer has seen the resolve: it must not tell the ticket what it said
    assert len(outside.at(f"/jira/rest/api/2/issue/{key}/comment")) == comments_before
    assert not outside.at(f"/jira/rest/api/2/issue/{key}/transitions") or all(
        r.method == "GET" for r in outside.at(f"/jira/rest/api/2/issue/{key}/transitions"))

    review = {**done, "issue": {"key": key, "fields": {"status": {"name": "In Review"}}}}
    noted = await _post(api, pid, "jira", review, "d-2", "X-Hub-Signature")
    assert noted.status_code == 202 and noted.json()["changed"] is False
    reopened = {**done, "issue": {"key": key, "fields": {"status": {"name": "Reopened"}}}}
    again = await _post(api, pid, "jira", reopened, "d-3", "X-Hub-Signature")
    assert again.status_code == 202 and await _status(api, pid, issue["id"]) == "open"
    shown = (await api.get(f"/api/v1/projects/{pid}/issues/{issue['id']}")).json()
    assert shown["external"]["jira"]["key"] == key
    unknown = await _post(api, pid, "jira", {**done, "issue": {"key": "NOPE-1", "fields": {"status": {"name": "Done"}}}},
                          "d-4", "X-Hub-Signature")
    assert unknown.status_code == 200 and "no Cognitest issue" in unknown.json()["reason"]


async def test_a_github_issue_closed_there_resolves_the_issue_here(api: httpx.AsyncClient, project: dict,
                                                                   outside: FakeServices) -> None:
    pid = project["id"]
    await bootstrapped(api, pid)
    await api.patch(f"/api/v1/projects/{pid}", params={"wait": "true"}, json={"settings": {
        "issue_sync": ["github"], "integrations": {"tracker_webhook_secret": SECRET}}})
    marker = uuid.uuid4().hex[:10]
    await upload(api, pid, {f"wishlist {marker}": "IndexError: list index out of range"})

    async def linked():
        found = [i for i in await issues_of(api, pid) if marker in i["title"]]
        return found[0] if found and found[0].get("external", {}).get("github") else None
    issue = await eventually(linked, timeout=30)
    [created] = [r for r in outside.at("/github/repos/acme/shop/issues") if marker in (r.body or {}).get("title", "")]
    closed = {"action": "closed", "sender": {"login": "octocat"},
              "issue": {"number": 4242, "state": "closed", "body": created.body["body"]}}
    r = await _post(api, pid, "github", closed, str(uuid.uuid4()), "X-Hub-Signature-256")
    assert r.status_code == 202 and await _status(api, pid, issue["id"]) == "resolved"
    resolution = (await api.get(f"/api/v1/projects/{pid}/issues/{issue['id']}")).json()
    assert resolution["resolved_at"] is not None
    ping = await _post(api, pid, "github", {"zen": "Keep it logically awesome."}, str(uuid.uuid4()), "X-Hub-Signature-256")
    assert ping.status_code == 200 and ping.json()["changed"] is False


async def test_the_failed_run_ticket_template_and_issue_sync_file_one_ticket_between_them(
        api: httpx.AsyncClient, project: dict, outside: FakeServices) -> None:
    pid, token = project["id"], uuid.uuid4().hex[:8]
    await bootstrapped(api, pid)
    await api.patch(f"/api/v1/projects/{pid}", params={"wait": "true"}, json={"settings": {
        "issue_sync": ["jira"], "integrations": {"slack_webhook_url": f"{outside.url}/slack/{token}"}}})
    r = await api.post(f"/api/v1/projects/{pid}/automations", params={"wait": "true"},
                       json={"name": "tickets", "template": "failed-run-ticket"})
    assert r.status_code in (201, 202), r.text
    marker = uuid.uuid4().hex[:10]
    await upload(api, pid, {f"refund {marker}": "KeyError: 'amount'"})

    async def alerted():
        texts = [m.body["text"] for m in outside.at(f"/slack/{token}")]
        return texts if texts else None
    [text] = await eventually(alerted, timeout=60)
    await asyncio.sleep(1.5)  # both paths have had their chance to file
    tickets = [r for r in outside.at("/jira/rest/api/2/issue") if marker in (r.body or {}).get("fields", {}).get("summary", "")]
    assert len(tickets) == 1
    [issue] = [i for i in await issues_of(api, pid) if marker in i["title"]]
    key = issue["external"]["jira"]["key"]
    assert f"filed as {key}" in text and f"/ui/projects/{pid}/issues/{issue['id']}" in text
