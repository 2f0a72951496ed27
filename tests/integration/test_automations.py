"""Automations end to end on real NATS, PostgreSQL, Temporal and Chromium: a run that fails posts
one Slack message and opens one JIRA issue (also when the worker dies mid-run), approvals,
signed webhooks, schedules, event triggers, cancel and retry, and refused graphs."""

import asyncio
import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from cognitest.infra.automations.templates import instantiate
from cognitest.infra.integrations.signing import sign
from tests.conftest import eventually
from tests.support.demo_app import DemoApp
from tests.support.fake_services import FakeServices
from tests.support.stack import PlatformStack

ENDED = ("completed", "failed", "cancelled", "timed_out")


async def create(api: httpx.AsyncClient, pid: str, graph: dict, name: str = "flow") -> dict:  # type: ignore[type-arg]
    r = await api.post(f"/api/v1/projects/{pid}/automations", params={"wait": "true"}, json={"name": name, "graph": graph})
    assert r.status_code == 201, r.text
    return r.json()


async def execution(api: httpx.AsyncClient, pid: str, execution_id: str, statuses=ENDED, timeout: float = 90) -> dict:  # type: ignore[no-untyped-def,type-arg]
    async def reached():
        r = await api.get(f"/api/v1/projects/{pid}/executions/{execution_id}")
        return r.json() if r.status_code == 200 and r.json()["status"] in statuses else None
    return await eventually(reached, timeout=timeout, interval=0.3)


async def run(api: httpx.AsyncClient, pid: str, automation_id: str, **input_: object) -> str:
    r = await api.post(f"/api/v1/projects/{pid}/automations/{automation_id}/run", json={"input": input_})
    assert r.status_code == 202, r.text
    return r.json()["execution_id"]


async def failing_suite(api: httpx.AsyncClient, pid: str) -> str:
    """A suite of two web cases on the demo app: one passes, one fails."""
    suite = (await api.post(f"/api/v1/projects/{pid}/suites", params={"wait": "true"}, json={"name": "Nightly"})).json()["id"]
    cases = {"product list has a title": [{"action": "goto", "url": "/list"}, {"action": "expect_title", "text": "Products"}],
             "broken page shows the total": [{"action": "goto", "url": "/broken"},
                                             {"action": "expect_visible", "target": {"text": "Paid"}}]}
    for title, steps in cases.items():
        r = await api.post(f"/api/v1/projects/{pid}/cases", params={"wait": "true"},
                           json={"title": title, "suite_id": suite, "executable_steps": steps})
        assert r.status_code == 201, r.text
    return suite


def nightly_graph(suite: str, base_url: str, token: str, outside: FakeServices) -> dict:  # type: ignore[type-arg]
    graph = instantiate("nightly-regression", {"suite_id": suite, "base_url": base_url})
    for node in graph["nodes"]:
        if node["type"] == "slack":
            node["config"]["webhook_url"] = f"{outside.url}/slack/{token}"
        if node["type"] == "jira":
            node["config"]["project_key"] = token.upper()
    return graph


def jira_issues(outside: FakeServices, key: str) -> list:  # type: ignore[type-arg]
    return [r for r in outside.at("/jira/rest/api/2/issue") if not r.path.endswith(("/comment", "/transitions"))
            and ((r.body or {}).get("fields") or {}).get("project", {}).get("key") == key]


async def test_failed_run_posts_once_to_slack_and_jira_with_a_full_step_log(
        api: httpx.AsyncClient, project: dict, demo: DemoApp, outside: FakeServices) -> None:
    pid, token = project["id"], f"t{uuid.uuid4().hex[:8]}"
    suite = await failing_suite(api, pid)
    automation = await create(api, pid, nightly_graph(suite, demo.url, token, outside), "nightly")
    assert automation["version"] == 1 and set(automation["triggers"]) == {"trigger.schedule", "trigger.manual"}
    done = await execution(api, pid, await run(api, pid, automation["id"]), timeout=180)
    assert done["status"] == "completed", done
    steps = {s["node"]: s for s in done["steps"]}
    assert list(steps) == ["manual", "run", "failed", "notify", "each_new[0].ticket", "each_new"]
    assert steps["run"]["output"]["totals"]["failed"] == 1 and steps["failed"]["output"] == {"result": True}
    assert all(s["status"] == "completed" and s["finished_at"] >= s["started_at"] for s in done["steps"])
    assert done["temporal_url"].endswith(f"/workflows/{done['id']}")

    slack = outside.at(f"/slack/{token}")
    assert len(slack) == 1
    text = slack[0].body["text"]
    assert "failed: 1 of 2 cases" in text and "broken page shows the total" in text
    assert f"/projects/{pid}/runs/{steps['run']['output']['run_id']}" in text
    [issue] = jira_issues(outside, token.upper())
    assert issue.body["fields"]["summary"] == "[regression] broken page shows the total · chromium fails"
    labels = issue.body["fields"]["labels"]  # the graph's, and the marker a retried step finds the ticket by
    assert labels[:2] == ["cognitest", "regression"] and len(labels) == 3 and labels[2].startswith("cognitest-")
    assert issue.headers["authorization"].startswith("Basic ")
    assert steps["each_new[0].ticket"]["output"]["key"].startswith("COG-")


async def test_a_run_step_over_a_suite_with_manual_cases_ends_when_its_automated_part_does(
        api: httpx.AsyncClient, project: dict, demo: DemoApp) -> None:
    """The run waits for people (awaiting_manual); the automation does not wait for them."""
    pid = project["id"]
    suite = (await api.post(f"/api/v1/projects/{pid}/suites", params={"wait": "true"}, json={"name": "Mixed"})).json()["id"]
    for title, steps in (("list has a title", [{"action": "goto", "url": "/list"}, {"action": "expect_title", "text": "Products"}]),
                         ("the invoice reads well", None)):
        body = {"title": title, "suite_id": suite, **({"executable_steps": steps} if steps else {})}
        assert (await api.post(f"/api/v1/projects/{pid}/cases", params={"wait": "true"}, json=body)).status_code == 201
    automation = await create(api, pid, {
        "nodes": [{"id": "start", "type": "trigger.manual"},
                  {"id": "run", "type": "run_suite", "config": {"suite_id": suite, "environment": {"base_url": demo.url}}}],
        "edges": [{"source": "start", "target": "run"}]}, "mixed")
    done = await execution(api, pid, await run(api, pid, automation["id"]), timeout=180)
    assert done["status"] == "completed", done
    output = {s["node"]: s for s in done["steps"]}["run"]["output"]
    assert output["status"] == "awaiting_manual" and output["passed"] is True and output["totals"]["manual"] == 1


async def test_approval_waits_for_a_person(api: httpx.AsyncClient, project: dict, outside: FakeServices) -> None:
    pid, token = project["id"], uuid.uuid4().hex[:8]
    hook = f"{outside.url}/slack/{token}"
    automation = await create(api, pid, {
        "nodes": [{"id": "start", "type": "trigger.manual"},
                  {"id": "review", "type": "approval", "config": {"prompt": "Ship {{ trigger.version }}?"}},
                  {"id": "yes", "type": "slack", "config": {"text": "approved by {{ nodes.review.output.by }}", "webhook_url": hook}},
                  {"id": "no", "type": "slack", "config": {"text": "rejected: {{ nodes.review.output.comment }}", "webhook_url": hook}}],
        "edges": [{"source": "start", "target": "review"}, {"source": "review", "target": "yes", "label": "approved"},
                  {"source": "review", "target": "no", "label": "rejected"}]})
    execution_id = await run(api, pid, automation["id"], version="1.2")
    waiting = await execution(api, pid, execution_id, statuses=("waiting",))
    assert waiting["steps"][-1]["output"] == {"prompt": "Ship 1.2?"}
    r = await api.post(f"/api/v1/projects/{pid}/executions/{execution_id}/approval",
                       json={"approved": False, "comment": "not this week"})
    assert r.status_code == 202, r.text
    done = await execution(api, pid, execution_id)
    assert done["status"] == "completed"
    assert [m.body["text"] for m in outside.at(f"/slack/{token}")] == ["rejected: not this week"]
    again = await api.post(f"/api/v1/projects/{pid}/executions/{execution_id}/approval", json={"approved": True})
    assert again.status_code == 409


async def test_webhook_trigger_verifies_its_signature(api: httpx.AsyncClient, project: dict, outside: FakeServices) -> None:
    pid, token, secret = project["id"], uuid.uuid4().hex[:8], "a-very-long-shared-secret"
    automation = await create(api, pid, {
        "nodes": [{"id": "hook", "type": "trigger.webhook", "config": {"secret": secret}},
                  {"id": "say", "type": "slack", "config": {"text": "deploy {{ trigger.ref }}", "webhook_url": f"{outside.url}/slack/{token}"}}],
        "edges": [{"source": "hook", "target": "say"}]})
    assert automation["graph"]["nodes"][0]["config"]["secret"] == "********"
    url = f"/api/v1/hooks/{pid}/{automation['id']}"
    body = json.dumps({"ref": "v2"}).encode()
    assert (await api.post(url, content=body)).status_code == 401
    assert (await api.post(url, content=body, headers={"x-hub-signature-256": sign("wrong-secret-wrong", body)})).status_code == 401
    accepted = await api.post(url, content=body, headers={"x-hub-signature-256": sign(secret, body)})
    assert accepted.status_code == 202, accepted.text
    done = await execution(api, pid, accepted.json()["execution_id"])
    assert done["status"] == "completed" and done["trigger"] == "webhook"
    assert [m.body["text"] for m in outside.at(f"/slack/{token}")] == ["deploy v2"]
    # the secret survives an edit of the graph as it was shown
    edited = await api.patch(f"/api/v1/projects/{pid}/automations/{automation['id']}", params={"wait": "true"},
                             json={"graph": automation["graph"]})
    assert edited.status_code == 200 and edited.json()["version"] == 2
    again = await api.post(url, content=body, headers={"x-hub-signature-256": sign(secret, body)})
    assert again.status_code == 202
    assert (await execution(api, pid, again.json()["execution_id"]))["status"] == "completed"
    # GitHub sends a delivery again (a redelivery from its settings page, a retry): one execution
    signed = {"x-hub-signature-256": sign(secret, body), "x-github-delivery": f"d-{token}"}
    first_delivery = await api.post(url, content=body, headers=signed)
    replay = await api.post(url, content=body, headers=signed)
    assert first_delivery.status_code == 202 and replay.status_code == 200 and replay.json()["duplicate"] is True
    assert replay.json()["execution_id"] == first_delivery.json()["execution_id"]
    await execution(api, pid, first_delivery.json()["execution_id"])
    assert len(outside.at(f"/slack/{token}")) == 3  # the first delivery, the re-sent body above, this one: no fourth
    history = (await api.get(f"/api/v1/projects/{pid}/automations/{automation['id']}/versions")).json()["items"]
    assert [v["version"] for v in history] == [2, 1]
    first = (await api.get(f"/api/v1/projects/{pid}/automations/{automation['id']}/versions/1")).json()
    assert first["graph"]["nodes"][0]["config"]["secret"] == "********"
    assert (await api.get(f"/api/v1/projects/{pid}/automations/{automation['id']}/versions/9")).status_code == 404


async def scheduled(api: httpx.AsyncClient, pid: str, outside: FakeServices, token: str, every: int) -> dict:  # type: ignore[type-arg]
    return await create(api, pid, {
        "nodes": [{"id": "tick", "type": "trigger.schedule", "config": {"interval_seconds": every, "input": {"what": "tick"}}},
                  {"id": "say", "type": "slack", "config": {"text": "{{ trigger.what }} {{ execution.trigger }}",
                                                            "webhook_url": f"{outside.url}/slack/{token}"}}],
        "edges": [{"source": "tick", "target": "say"}]})


async def test_schedule_fires_pauses_and_goes_with_its_trigger(api: httpx.AsyncClient, project: dict, outside: FakeServices) -> None:
    pid, token = project["id"], uuid.uuid4().hex[:8]
    automation = await scheduled(api, pid, outside, token, every=2)
    await eventually(lambda: _count(outside, token, 1), timeout=30)
    assert outside.at(f"/slack/{token}")[0].body["text"] == "tick schedule"
    base = f"/api/v1/projects/{pid}/automations/{automation['id']}/schedule"
    paused = await api.post(f"{base}/pause")
    assert paused.status_code == 200 and paused.json()["paused"] is True
    await asyncio.sleep(3)  # an execution started just before the pause may still post
    settled = len(outside.at(f"/slack/{token}"))
    await asyncio.sleep(5)
    assert len(outside.at(f"/slack/{token}")) == settled
    r = await api.patch(f"/api/v1/projects/{pid}/automations/{automation['id']}", params={"wait": "true"}, json={"enabled": False})
    assert r.status_code == 200

    async def gone():
        return (await api.post(f"{base}/describe")).status_code == 404
    await eventually(gone, timeout=20)
    executions = (await api.get(f"/api/v1/projects/{pid}/executions", params={"automation_id": automation["id"]})).json()
    assert executions["items"] and all(e["trigger"] == "schedule" for e in executions["items"])


async def test_schedule_trigger_now_and_backfill(api: httpx.AsyncClient, project: dict, outside: FakeServices) -> None:
    pid, token = project["id"], uuid.uuid4().hex[:8]
    automation = await scheduled(api, pid, outside, token, every=3600)
    base = f"/api/v1/projects/{pid}/automations/{automation['id']}/schedule"

    async def exists():
        return (await api.post(f"{base}/describe")).status_code == 200
    await eventually(exists, timeout=20)
    assert (await api.post(f"{base}/trigger")).status_code == 200
    await eventually(lambda: _count(outside, token, 1), timeout=30)
    now = datetime.now(UTC)
    bad = await api.post(f"{base}/backfill", json={"start": now.isoformat(), "end": (now - timedelta(hours=1)).isoformat()})
    assert bad.status_code == 422
    filled = await api.post(f"{base}/backfill", json={"start": (now - timedelta(hours=3)).isoformat(), "end": now.isoformat()})
    assert filled.status_code == 200, filled.text
    await eventually(lambda: _count(outside, token, 3), timeout=30)
    assert (await api.post(f"{base}/explode")).status_code == 404


async def _count(outside: FakeServices, token: str, at_least: int) -> bool:
    return len(outside.at(f"/slack/{token}")) >= at_least


async def test_event_trigger_starts_once_per_matching_event(api: httpx.AsyncClient, project: dict, outside: FakeServices) -> None:
    pid, token = project["id"], uuid.uuid4().hex[:8]
    await create(api, pid, {
        "nodes": [{"id": "on_issue", "type": "trigger.event", "config": {"event_type": "issue.created", "min_severity": "high"}},
                  {"id": "say", "type": "slack", "config": {"text": "{{ trigger.data.severity }}: {{ trigger.data.title }}",
                                                            "webhook_url": f"{outside.url}/slack/{token}"}}],
        "edges": [{"source": "on_issue", "target": "say"}]})
    for title, severity in (("checkout is down", "critical"), ("typo in footer", "low")):
        r = await api.post(f"/api/v1/projects/{pid}/issues", params={"wait": "true"}, json={"title": title, "severity": severity})
        assert r.status_code == 201, r.text
    await eventually(lambda: _count(outside, token, 1), timeout=30)
    executions = (await api.get(f"/api/v1/projects/{pid}/executions")).json()["items"]
    assert len(executions) == 1 and executions[0]["trigger"] == "event"
    assert [m.body["text"] for m in outside.at(f"/slack/{token}")] == ["critical: checkout is down"]


async def test_cancel_and_retry(api: httpx.AsyncClient, project: dict, outside: FakeServices) -> None:
    pid, token = project["id"], uuid.uuid4().hex[:8]
    automation = await create(api, pid, {
        "nodes": [{"id": "start", "type": "trigger.manual"}, {"id": "wait", "type": "delay", "config": {"seconds": 600}},
                  {"id": "say", "type": "slack", "config": {"text": "late", "webhook_url": f"{outside.url}/slack/{token}"}}],
        "edges": [{"source": "start", "target": "wait"}, {"source": "wait", "target": "say"}]})
    execution_id = await run(api, pid, automation["id"], n=1)
    await execution(api, pid, execution_id, statuses=("running",))
    assert (await api.post(f"/api/v1/projects/{pid}/executions/{execution_id}/retry")).status_code == 409
    assert (await api.post(f"/api/v1/projects/{pid}/executions/{execution_id}/cancel")).status_code == 202
    cancelled = await execution(api, pid, execution_id)
    assert cancelled["status"] == "cancelled" and [s["node"] for s in cancelled["steps"]] == ["start"]
    retried = await api.post(f"/api/v1/projects/{pid}/executions/{execution_id}/retry")
    assert retried.status_code == 202
    second = await execution(api, pid, retried.json()["execution_id"], statuses=("running",))
    assert second["retry_of"] == execution_id and second["input"] == {"n": 1} and second["version"] == 1
    await api.post(f"/api/v1/projects/{pid}/executions/{second['id']}/cancel")
    assert (await execution(api, pid, second["id"]))["status"] == "cancelled"
    assert outside.at(f"/slack/{token}") == []


async def test_invalid_graphs_are_refused_with_every_problem(stack: PlatformStack, api: httpx.AsyncClient, project: dict,
                                                              tmp_path) -> None:  # type: ignore[no-untyped-def]
    pid = project["id"]
    r = await api.post(f"/api/v1/projects/{pid}/automations", json={"name": "bad", "graph": {
        "nodes": [{"id": "start", "type": "trigger.manual"}, {"id": "x", "type": "teleport"},
                  {"id": "say", "type": "slack", "config": {"text": "{{ nodes.later.output }}"}}],
        "edges": [{"source": "start", "target": "say"}]}})
    assert r.status_code == 422
    details = r.json()["details"]
    assert {d["node"] for d in details} == {"x"} and "unknown node type 'teleport'" in r.json()["message"]
    r = await api.post(f"/api/v1/projects/{pid}/automations", json={"template": "nightly-regression"})
    assert r.status_code == 422 and "suite_id" in r.json()["message"]
    listed = (await api.get(f"/api/v1/projects/{pid}/automations")).json()["items"]
    assert listed == []
    bad = tmp_path / "graph.json"
    bad.write_text(json.dumps({"nodes": [{"id": "a", "type": "delay", "config": {"seconds": 1}}]}))
    cli = subprocess.run([sys.executable, "-m", "cognitest.producers.cli.main", "automations", "create", "-p", pid, "-f", str(bad),
                          "--api", stack.api_url], capture_output=True, text=True, timeout=60)
    assert cli.returncode == 2 and "at least one trigger" in cli.stderr and "Traceback" not in cli.stderr
    templates = subprocess.run([sys.executable, "-m", "cognitest.producers.cli.main", "automations", "templates", "--json",
                                "--api", stack.api_url], capture_output=True, text=True, timeout=60)
    assert templates.returncode == 0
    assert [t["name"] for t in json.loads(templates.stdout)] == ["nightly-regression", "requirement-approval", "ci-triage",
                                                                 "verify-fix", "failed-run-ticket", "triage-owner"]


async def test_every_action_reaches_its_service(api: httpx.AsyncClient, project: dict, outside: FakeServices) -> None:
    pid, token, issue_id = project["id"], uuid.uuid4().hex[:8], str(uuid.uuid4())
    automation = await create(api, pid, {
        "nodes": [{"id": "start", "type": "trigger.manual"},
                  {"id": "call", "type": "http_request", "config": {"url": f"{outside.url}/hook/{token}", "body": {"n": "{{ trigger.n }}"}}},
                  {"id": "route", "type": "switch", "config": {"value": "{{ nodes.call.output.status }}", "cases": ["200"]}},
                  {"id": "gh", "type": "github", "config": {"title": "{{ trigger.title }}", "body": "n={{ trigger.n }}", "labels": ["qa"]}},
                  {"id": "mail", "type": "email", "config": {"to": [f"{token}@example.com"], "subject": "{{ trigger.title }}",
                                                             "body": "GitHub issue {{ nodes.gh.output.number }}"}},
                  {"id": "file", "type": "publish_event", "config": {"type": "issue.created", "data": {
                      "issue_id": "{{ trigger.issue_id }}", "title": "{{ trigger.title }}", "severity": "low"}}},
                  {"id": "odd", "type": "slack", "config": {"text": "not 200", "webhook_url": f"{outside.url}/slack/{token}"}}],
        "edges": [{"source": "start", "target": "call"}, {"source": "call", "target": "route"},
                  {"source": "route", "target": "gh", "label": "200"}, {"source": "route", "target": "odd", "label": "default"},
                  {"source": "gh", "target": "mail"}, {"source": "mail", "target": "file"}]})
    done = await execution(api, pid, await run(api, pid, automation["id"], n=3, title=f"Broken {token}", issue_id=issue_id))
    assert done["status"] == "completed", done
    assert [s["node"] for s in done["steps"]] == ["start", "call", "route", "gh", "mail", "file"]
    [hook] = outside.at(f"/hook/{token}")
    assert hook.body == {"n": 3}
    [created] = [r for r in outside.at("/github/repos/acme/shop/issues") if (r.body or {}).get("title") == f"Broken {token}"]
    assert created.body == {"title": f"Broken {token}", "body": "n=3", "labels": ["qa"]}
    assert created.headers["authorization"] == "Bearer gh-token"
    [mail] = [m for m in outside.mails if m.recipients == [f"{token}@example.com"]]
    assert f"Subject: Broken {token}" in mail.content and "GitHub issue " in mail.content
    assert outside.at(f"/slack/{token}") == []

    async def filed():
        r = await api.get(f"/api/v1/projects/{pid}/issues/{issue_id}")
        return r.json() if r.status_code == 200 else None
    assert (await eventually(filed))["title"] == f"Broken {token}"


async def test_verify_fix_template_reopens_an_issue_whose_case_still_fails(
        stack: PlatformStack, api: httpx.AsyncClient, project: dict, demo: DemoApp, outside: FakeServices) -> None:
    from cognitest.schemas import new_event
    from cognitest.schemas.events.issues import IssueOccurred

    pid = project["id"]
    suite = await failing_suite(api, pid)
    cases = (await api.get(f"/api/v1/projects/{pid}/cases", params={"suite_id": suite, "q": "broken"})).json()["items"]
    other = (await api.get(f"/api/v1/projects/{pid}/cases", params={"suite_id": suite, "q": "title"})).json()["items"]
    issue = (await api.post(f"/api/v1/projects/{pid}/issues", params={"wait": "true"}, json={
        "title": "total missing", "related_test_case_id": cases[0]["id"]})).json()
    # the same failure was also seen in another case: verifying the fix must re-run both
    assert stack.publisher is not None
    await stack.publisher.publish(new_event(IssueOccurred(issue_id=issue["id"], signature="s", case_id=other[0]["id"]),
                                            project_id=pid))
    await stack.wait_caught_up()
    r = await api.post(f"/api/v1/projects/{pid}/automations", params={"wait": "true"},
                       json={"template": "verify-fix", "params": {"base_url": demo.url}})
    assert r.status_code == 201, r.text
    resolved = await api.patch(f"/api/v1/projects/{pid}/issues/{issue['id']}", params={"wait": "true"}, json={"status": "resolved"})
    assert resolved.json()["status"] == "resolved"

    async def reopened():
        got = (await api.get(f"/api/v1/projects/{pid}/issues/{issue['id']}")).json()
        return got if got["status"] == "open" else None
    await eventually(reopened, timeout=120)
    [execution_row] = (await api.get(f"/api/v1/projects/{pid}/executions")).json()["items"]
    done = await execution(api, pid, execution_row["id"])
    assert [s["node"] for s in done["steps"]] == ["resolved", "rerun", "fixed", "reopen", "tell"]
    assert any(issue["id"] in m.body["text"] for m in outside.at("/slack/default"))
    rerun = next(r for r in (await api.get(f"/api/v1/projects/{pid}/runs")).json()["items"] if "rerun" in (r["name"] or ""))
    rerun_cases = {r["case_id"] for r in (await api.get(f"/api/v1/projects/{pid}/runs/{rerun['id']}/results")).json()["items"]}
    assert rerun_cases == {cases[0]["id"], other[0]["id"]}


async def test_a_request_for_a_missing_automation_ends_failed(stack: PlatformStack, api: httpx.AsyncClient,
                                                             project: dict) -> None:
    from cognitest.schemas import new_event
    from cognitest.schemas.automation.execution import execution_id_for
    from cognitest.schemas.events.automations import WorkflowRunRequested

    pid = project["id"]
    event = new_event(WorkflowRunRequested(workflow_id=uuid.uuid4(), trigger="manual"), project_id=pid)
    assert stack.publisher is not None
    await stack.publisher.publish(event)  # straight onto the bus: the API would have refused it with 404
    done = await execution(api, pid, execution_id_for(event.id), timeout=120)
    assert done["status"] == "failed" and "does not exist" in done["error"]
