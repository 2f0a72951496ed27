"""Processes killed in the middle of long work: the Temporal worker during a generation pipeline
and during an automation's run-suite step, and the execution process during a browser run. Each
finishes (or resumes) with no duplicate side effect."""

import asyncio
import uuid

import httpx
import pytest

from tests.conftest import eventually
from tests.integration.test_automations import create, execution, failing_suite, jira_issues, nightly_graph, run
from tests.integration.test_execution import make_case, suite_of
from tests.integration.test_generation import FIXTURES, upload
from tests.support.demo_app import DemoApp
from tests.support.fake_llm import FakeLlm
from tests.support.fake_services import FakeServices
from tests.support.fault_report import FaultReport
from tests.support.stack import PlatformStack


async def restart_killed(stack: PlatformStack, name: str) -> float:
    """SIGKILL a process, start it again; the time it took to be back."""
    stack.supervisor.kill(name)
    await stack.supervisor.stop(name)
    began = asyncio.get_running_loop().time()
    await stack.start(name)
    return asyncio.get_running_loop().time() - began


@pytest.mark.slow
async def test_worker_killed_mid_pipeline_finishes_without_duplicates(stack: PlatformStack, api: httpx.AsyncClient,
                                                                       project: dict, fake_llm: FakeLlm,
                                                                       fault_report: FaultReport) -> None:
    pid = project["id"]
    await upload(api, pid, ("login_spec.md", (FIXTURES / "login_spec.md").read_bytes()))
    fake_llm.delay = 2.0
    try:
        response = await api.post(f"/api/v1/projects/{pid}/generations", json={"engine": "llm"})
        gid = response.json()["resource_id"]
        await asyncio.sleep(2.5)  # the plan call is answered; feature calls are in flight
        await restart_killed(stack, "worker")
        back = asyncio.get_running_loop().time()

        async def finished():
            r = await api.get(f"/api/v1/projects/{pid}/generations/{gid}")
            return r.json() if r.status_code == 200 and r.json()["status"] in ("completed", "failed") else None
        status = await eventually(finished, timeout=150, interval=0.5)
    finally:
        fake_llm.delay = 0.0
    assert status["status"] == "completed", status
    await stack.wait_caught_up()
    cases = (await api.get(f"/api/v1/projects/{pid}/cases", params={"limit": 500})).json()
    titles = [c["title"] for c in cases["items"]]
    unique = len(set(c["id"] for c in cases["items"]))
    fault_report.add("SIGKILL worker mid-generation", status["result"]["cases"], cases["total"], len(titles) - unique,
                     max(0, status["result"]["cases"] - cases["total"]), asyncio.get_running_loop().time() - back,
                     "events = generated cases")
    assert cases["total"] == status["result"]["cases"] == len(titles)
    assert unique == len(titles)


@pytest.mark.slow
async def test_worker_killed_during_the_run_step_finishes_without_posting_twice(
        stack: PlatformStack, api: httpx.AsyncClient, project: dict, demo: DemoApp, outside: FakeServices,
        fault_report: FaultReport) -> None:
    pid, token = project["id"], f"k{uuid.uuid4().hex[:8]}"
    suite = await failing_suite(api, pid)
    automation = await create(api, pid, nightly_graph(suite, demo.url, token, outside), "nightly")
    execution_id = await run(api, pid, automation["id"])

    async def running_the_suite():
        r = await api.get(f"/api/v1/projects/{pid}/executions/{execution_id}")
        return r.status_code == 200 and r.json()["status"] == "running"
    await eventually(running_the_suite, timeout=60)
    await restart_killed(stack, "worker")
    back = asyncio.get_running_loop().time()
    done = await execution(api, pid, execution_id, timeout=180)
    slack, jira = len(outside.at(f"/slack/{token}")), len(jira_issues(outside, token.upper()))
    fault_report.add("SIGKILL worker in an automation's run step", 2, slack + jira, max(0, slack - 1) + max(0, jira - 1),
                     int(slack == 0) + int(jira == 0), asyncio.get_running_loop().time() - back,
                     "events = side effects (Slack, JIRA)")
    assert done["status"] == "completed", done
    assert (slack, jira) == (1, 1)


@pytest.mark.slow
async def test_execution_process_killed_mid_run_resumes(stack: PlatformStack, api: httpx.AsyncClient, project: dict,
                                                        demo: DemoApp, fault_report: FaultReport) -> None:
    pid = project["id"]
    suite = await suite_of(api, pid, "Resume")
    for i in range(6):
        await make_case(api, pid, suite, f"slow {i}", [{"action": "request", "url": "/slow"}, {"action": "expect_status", "status": 200}])
    r = await api.post(f"/api/v1/projects/{pid}/runs", json={"suite_id": suite, "environment": {"base_url": demo.url}})
    run_id = r.json()["resource_id"]

    async def some_done():
        got = await api.get(f"/api/v1/projects/{pid}/runs/{run_id}/results")
        return got.status_code == 200 and len(got.json()["items"]) >= 1
    await eventually(some_done, timeout=30)
    await restart_killed(stack, "consumers")
    back = asyncio.get_running_loop().time()

    async def ended():
        got = (await api.get(f"/api/v1/projects/{pid}/runs/{run_id}")).json()
        return got if got["status"] in ("completed", "failed", "cancelled") else None
    finished = await eventually(ended, timeout=90, interval=0.5)
    results = (await api.get(f"/api/v1/projects/{pid}/runs/{run_id}/results")).json()["items"]
    distinct = len({r["case_id"] for r in results})
    fault_report.add("SIGKILL the execution process mid-run", 6, distinct, len(results) - distinct, 6 - distinct,
                     asyncio.get_running_loop().time() - back, f"run {finished['status']}")
    assert finished["status"] == "completed" and finished["totals"]["passed"] == 6
    assert len(results) == 6 and distinct == 6  # each case once, none lost


@pytest.mark.slow
@pytest.mark.parametrize("tracker", ["jira", "github"])
async def test_consumers_killed_while_filing_a_ticket_file_it_once(stack: PlatformStack, api: httpx.AsyncClient,
                                                                   project: dict, outside: FakeServices,
                                                                   fault_report: FaultReport, tracker: str) -> None:
    """The tracker makes the ticket at once and answers 8 s later; the process that asked is killed
    in between. Started again, it finds the ticket by its marker instead of filing a second."""
    from tests.conftest import bootstrapped
    from tests.integration.test_triage_alerting import upload

    pid, token = project["id"], uuid.uuid4().hex[:10]
    await bootstrapped(api, pid)
    await api.patch(f"/api/v1/projects/{pid}", params={"wait": "true"}, json={"settings": {"issue_sync": [tracker]}})
    create_path = "/jira/rest/api/2/issue" if tracker == "jira" else "/github/repos/acme/shop/issues"

    def tickets() -> list:  # type: ignore[type-arg]
        made = outside.jira_issues.values() if tracker == "jira" else outside.github_issues.values()
        return [t for t in made if token in str((t.get("fields") or t).get("summary" if tracker == "jira" else "title"))]

    outside.delays[create_path] = 8.0
    try:
        await upload(api, pid, {f"refund {token}": "AssertionError: refund total was 0"})

        async def asked():
            return bool(tickets())
        await eventually(asked, timeout=60)
        await restart_killed(stack, "consumers")  # mid-call: the ticket exists, its answer never arrived
    finally:
        outside.delays.pop(create_path, None)
    back = asyncio.get_running_loop().time()

    async def linked():
        found = (await api.get(f"/api/v1/projects/{pid}/issues")).json()["items"]
        return found[0] if found and (found[0].get("external") or {}).get(tracker) else None
    issue = await eventually(linked, timeout=120, interval=0.5)
    made = tickets()
    fault_report.add(f"SIGKILL consumers while filing a {tracker} ticket", 1, len(made), max(0, len(made) - 1),
                     int(not made), asyncio.get_running_loop().time() - back, "events = tickets")
    assert len(made) == 1, made
    assert issue["external"][tracker]["key"] in ("COG-" + str(len(outside.jira_issues)), str(len(outside.github_issues)))


@pytest.mark.slow
@pytest.mark.parametrize("channel", ["slack", "webhook", "email"])
async def test_consumers_killed_while_alerting_tell_the_team_once(stack: PlatformStack, api: httpx.AsyncClient,
                                                                  project: dict, outside: FakeServices,
                                                                  fault_report: FaultReport, channel: str) -> None:
    """The target takes the alert at once and answers 8 s later; the process that sent it is killed
    in between. Slack (Web API) is asked for the message by the key in its metadata and not posted
    to again; a webhook receiver gets the same Idempotency-Key on the repeat and applies it once;
    an e-mail is repeated with the same Message-ID, which mail clients show as one message."""
    from tests.conftest import bootstrapped
    from tests.integration.test_triage_alerting import upload

    pid, token = project["id"], uuid.uuid4().hex[:10]
    await bootstrapped(api, pid)
    target = {"slack": f"C{token.upper()}", "webhook": f"{outside.url}/hook/{token}", "email": f"{token}@team.test"}[channel]
    rule = {"name": f"kill {channel}", "channel": channel, "target": target, "events": ["results.ingested"]}
    r = await api.patch(f"/api/v1/projects/{pid}", params={"wait": "true"},
                        json={"settings": {"notifications": {"rules": [rule]}}})
    assert r.status_code == 200, r.text

    def arrived() -> list:  # type: ignore[type-arg]
        if channel == "slack":
            return [m for m in outside.slack_messages if m["channel"] == target]
        if channel == "webhook":
            return outside.at(f"/hook/{token}")
        return [m for m in outside.mails if target in m.recipients]

    def distinct() -> set[str]:  # what the team sees: one per message id / idempotency key
        if channel == "slack":
            return {m["metadata"]["event_payload"]["key"] for m in arrived()}
        if channel == "webhook":
            return {r.headers["idempotency-key"] for r in arrived()}
        return {line.split(":", 1)[1].strip() for m in arrived() for line in m.content.splitlines()
                if line.lower().startswith("message-id:")}

    if channel == "email":
        outside.smtp_handler.delay = 8.0
    else:
        outside.delays["/slack-api/chat.postMessage" if channel == "slack" else f"/hook/{token}"] = 8.0
    try:
        await upload(api, pid, {f"refund {token}": "AssertionError: refund total was 0"})

        async def sent():
            return bool(arrived())
        await eventually(sent, timeout=60)
        await restart_killed(stack, "consumers")  # mid-call: the target has it, its answer never arrived
    finally:
        outside.smtp_handler.delay = 0.0
        outside.delays.clear()
    back = asyncio.get_running_loop().time()

    alerts: list[dict] = []  # type: ignore[type-arg]

    async def recorded():
        alerts[:] = (await api.get(f"/api/v1/projects/{pid}/alerts", params={"limit": 100})).json()["items"]
        return [a for a in alerts if a["ok"]] or None
    try:
        told = await eventually(recorded, timeout=120, interval=0.5)
    except AssertionError as exc:  # what was recorded instead, and what the target saw
        raise AssertionError(f"{exc}: alerts {alerts}, received {arrived()}, "
                             f"asked {[r.path for r in outside.reads]}") from None
    seen = distinct()
    fault_report.add(f"SIGKILL consumers while alerting by {channel}", 1, len(seen), max(0, len(seen) - 1), int(not seen),
                     asyncio.get_running_loop().time() - back, f"distinct messages ({len(arrived())} received)")
    assert len(told) == 1 and told[0]["channel"] == channel
    assert len(seen) == 1, arrived()  # one message as the team sees it
    if channel == "slack":
        assert len(arrived()) == 1  # found in the channel, not posted again
        assert any("conversations.history" in r.path for r in outside.reads)
    else:
        assert 1 <= len(arrived()) <= 2  # the receiver may get the repeat, with the same key
