"""Alerts a team can live with, and tickets a developer can act on: one message per new issue, a
digest for repeats that says since when and in how many runs, a recovery message, a per-rule rate
limit, rich Slack blocks; an issue and its ticket carry the run's environment, the failing step,
expected against actual, and the screenshot link."""

import uuid

import httpx

from tests.conftest import bootstrapped, eventually
from tests.integration.test_execution import LOGIN, make_case, run_and_wait, suite_of
from tests.integration.test_triage_alerting import issues_of, upload
from tests.support.demo_app import DemoApp
from tests.support.fake_services import FakeServices


async def test_repeats_become_a_digest_a_fix_a_recovery_and_a_burst_is_rate_limited(
        api: httpx.AsyncClient, project: dict, outside: FakeServices) -> None:
    pid, token = project["id"], uuid.uuid4().hex[:8]
    await bootstrapped(api, pid)
    rules = [
        {"name": "team chat", "channel": "slack", "target": f"{outside.url}/slack/{token}",
         "events": ["issue.detected", "issue.occurred", "issue.resolved"]},
        {"name": "pager", "channel": "webhook", "target": f"{outside.url}/hook/{token}", "events": ["issue.detected"],
         "max_per_hour": 2},
    ]
    r = await api.patch(f"/api/v1/projects/{pid}", params={"wait": "true"}, json={"settings": {"notifications": {"rules": rules}}})
    assert r.status_code == 200, r.text
    for _ in range(3):  # the same failure in three runs
        await upload(api, pid, {"pays by card": "AssertionError: expected status 200 but got 500"})

    async def settled():
        found = await issues_of(api, pid)
        return found[0] if found and found[0]["occurrences"] == 3 else None
    issue = await eventually(settled, timeout=60)

    async def told():
        texts = [m.body["text"] for m in outside.at(f"/slack/{token}")]
        return texts if len(texts) == 2 else None
    new, repeat = await eventually(told, timeout=60)
    assert "New" in new and "Still failing" in repeat and "run(s)" in repeat and "since run" in repeat
    slack = outside.at(f"/slack/{token}")[0].body
    assert slack["blocks"][0]["type"] == "header" and any(
        "Expected `200`, got `500`" in (b.get("text") or {}).get("text", "") for b in slack["blocks"])
    assert slack["blocks"][-1]["elements"][0]["url"].endswith(f"/ui/projects/{pid}/issues/{issue['id']}")

    # the third run is in the digest: no third message; it is recorded as suppressed, not lost
    async def suppressed():
        alerts = (await api.get(f"/api/v1/projects/{pid}/alerts", params={"limit": 100})).json()["items"]
        return [a for a in alerts if (a.get("error") or "").startswith("suppressed: digest")]
    assert await eventually(suppressed, timeout=30)

    # fixed: a recovery message names the issue and how long it failed
    r = await api.post("/api/v1/events", params={"wait": "true"}, json={
        "type": "issue.resolved", "subject": pid, "data": {"issue_id": issue["id"], "resolution": "fixed in #812"}})
    assert r.status_code in (200, 202) and r.json()["applied"], r.text

    async def recovered():
        texts = [m.body["text"] for m in outside.at(f"/slack/{token}")]
        return texts[-1] if len(texts) == 3 else None
    recovery = await eventually(recovered, timeout=30)
    assert "Passing again" in recovery and "3 run(s)" in recovery and "fixed in #812" in recovery

    # a burst of five new issues: the pager rule sends two this hour and records the rest as suppressed
    await upload(api, pid, {"cart": "KeyError: 'sku'", "search": "TimeoutError: locator.fill: Timeout 5000ms exceeded",
                            "login": "httpx.ConnectError: [Errno 111] Connection refused",
                            "export": "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 0",
                            "invoice": "ZeroDivisionError: division by zero in tax.py"})

    async def all_told():
        issues = await issues_of(api, pid)
        alerts = (await api.get(f"/api/v1/projects/{pid}/alerts", params={"limit": 100, "channel": "webhook"})).json()
        decided = [a for a in alerts["items"] if a["ok"] or (a.get("error") or "").startswith("suppressed: rate limit")]
        return (len(issues), decided) if len(issues) == 6 and len(decided) == 6 else None
    issues, decided = await eventually(all_told, timeout=60)
    assert sum(1 for a in decided if a["ok"]) == 2 and len(outside.at(f"/hook/{token}")) == 2  # 6 new issues, 2 told


async def test_an_issue_and_its_ticket_carry_environment_step_expected_actual_and_screenshot(
        api: httpx.AsyncClient, project: dict, outside: FakeServices, demo: DemoApp) -> None:
    pid = project["id"]
    await bootstrapped(api, pid)
    r = await api.patch(f"/api/v1/projects/{pid}", params={"wait": "true"}, json={"settings": {"issue_sync": ["jira"]}})
    assert r.status_code == 200
    suite = await suite_of(api, pid, "Web")
    marker = uuid.uuid4().hex[:8]
    await make_case(api, pid, suite, f"login shows the dashboard {marker}", LOGIN[:2] + [
        {"action": "fill", "target": {"label": "Password"}, "value": "nope"}, LOGIN[3],
        {"action": "expect_text", "text": "Welcome back"}])
    run, _ = await run_and_wait(api, pid, suite_id=suite, environment={"base_url": demo.url}, name=f"nightly {marker}")
    assert run["totals"]["failed"] == 1

    async def linked():
        found = [i for i in await issues_of(api, pid) if marker in i["title"]]
        return found[0] if found and found[0].get("external", {}).get("jira") else None
    issue = await eventually(linked, timeout=60)
    assert issue["environment"]["base_url"] == demo.url and issue["environment"]["browser"] == "chromium"
    assert issue["environment"]["run_name"] == f"nightly {marker}"
    assert "Failing step: expect_text" in issue["description"] and "Expected: Welcome back" in issue["description"]
    shots = [a for a in issue["attachments"] if a["kind"] == "screenshot"]
    assert shots and f"/api/v1/projects/{pid}/artifacts?ref=" in shots[0]["url"]
    shot = await api.get(shots[0]["url"].split("://", 1)[1].split("/", 1)[1].join(["/", ""]))
    assert shot.status_code == 200 and shot.headers["content-type"].startswith("image/")
    [ticket] = [r for r in outside.at("/jira/rest/api/2/issue") if marker in (r.body or {}).get("fields", {}).get("summary", "")]
    description = ticket.body["fields"]["description"]
    assert f"Base URL: {demo.url}" in description and "Browser: chromium" in description
    assert "screenshot: " in description and f"Run: nightly {marker}" in description
