"""The MCP server as an agent uses it: `cognitest mcp` over stdio (the official SDK's client), a
project API token for identity: requirements in, generation, review, a case with executable steps,
and a viewer token refused with the API's message as a tool error; the audit log names the token."""

import json
import os
import sys
from pathlib import Path

import httpx
from mcp import Client, StdioServerParameters

from tests.support.stack import PlatformStack

DOCUMENT = Path(__file__).resolve().parents[1] / "fixtures" / "requirements" / "bookshelf.md"


def _server(stack: PlatformStack, token: str) -> StdioServerParameters:
    env = {**os.environ, "COGNITEST_API": stack.api_url, "COGNITEST_TOKEN": token}
    return StdioServerParameters(command=sys.executable, args=["-m", "cognitest.producers.cli.main", "mcp"], env=env)


def _data(result) -> object:  # type: ignore[no-untyped-def]
    assert not result.is_error, result.content
    if getattr(result, "structured_content", None) is not None:
        data = result.structured_content
        return data.get("result", data) if isinstance(data, dict) and set(data) == {"result"} else data
    return json.loads(result.content[0].text)


async def test_an_agent_adds_requirements_generates_reviews_and_writes_a_case(
        stack: PlatformStack, api: httpx.AsyncClient, project: dict) -> None:
    pid = project["id"]
    editor = (await api.post(f"/api/v1/projects/{pid}/tokens", json={"name": "agent", "role": "editor"})).json()
    viewer = (await api.post(f"/api/v1/projects/{pid}/tokens", json={"name": "reader", "role": "viewer"})).json()

    async with Client(_server(stack, editor["token"]), read_timeout_seconds=300) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert {"list_projects", "add_requirements", "generate", "review_case", "create_case", "start_run",
                "failed_cases", "import_junit", "update_issue"} <= names
        projects = _data(await client.call_tool("list_projects", {}))
        assert [p["id"] for p in projects] == [pid]  # a project token sees its project only
        added = _data(await client.call_tool("add_requirements", {"project_id": pid, "filename": "bookshelf.md",
                                                                  "text": DOCUMENT.read_text()}))
        keys = [r["key"] for d in added["documents"] for r in d["requirements"]]
        assert "BK-1.1" in keys and "BK-3.3" in keys
        progress: list[str] = []

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            progress.append(message or "")
        generated = _data(await client.call_tool("generate", {"project_id": pid, "engine": "offline"},
                                                 progress_callback=on_progress))
        assert progress and all("generation" in m for m in progress)  # progress notifications while it ran
        assert generated["cases"] > 10 and generated["covered"] == generated["total"] == len(keys)
        cases = _data(await client.call_tool("list_cases", {"project_id": pid, "limit": 100}))
        security = next(c for c in cases if "SQL injection" in c["title"])
        reviewed = _data(await client.call_tool("review_case", {
            "project_id": pid, "case_id": security["id"], "verdict": "rejected", "reason": "irrelevant",
            "comment": "the sign-in form is covered by the platform's own tests"}))
        assert reviewed["verdict"] == "rejected"
        made = _data(await client.call_tool("create_case", {
            "project_id": pid, "title": "Forgot password link", "priority": "high",
            "executable_steps": [{"action": "goto", "url": "/signin"},
                                 {"action": "expect_visible", "target": {"role": "link", "name": "Forgot password?"}}]}))
        assert made["title"] == "Forgot password link"
        bad = await client.call_tool("create_case", {"project_id": pid, "title": "x",
                                                     "executable_steps": [{"action": "teleport"}]})
        assert bad.is_error and "teleport" in bad.content[0].text  # the API's validation message, as a tool error

    async with Client(_server(stack, viewer["token"]), read_timeout_seconds=120) as client:
        refused = await client.call_tool("create_case", {"project_id": pid, "title": "not allowed"})
        assert refused.is_error and "403" in refused.content[0].text
        assert _data(await client.call_tool("list_cases", {"project_id": pid, "q": "Forgot password link"}))

    audit = (await api.get(f"/api/v1/projects/{pid}/audit", params={"type": "case.created"})).json()["items"]
    assert any(item["actor"] == f"token:{editor['id']}" for item in audit)  # the agent acted as itself


def _remote(stack: PlatformStack, token: str):  # type: ignore[no-untyped-def]
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    http = httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(30, read=300))
    return streamable_http_client(f"{stack.api_url}/mcp", http_client=http)


async def test_a_remote_agent_over_http_runs_compares_cancels_and_is_held_to_its_role(
        stack: PlatformStack, api: httpx.AsyncClient, project: dict, demo, outside) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import eventually
    from tests.integration.test_automations import create as create_automation
    from tests.integration.test_execution import make_case, suite_of
    from tests.integration.test_triage_alerting import junit

    pid = project["id"]
    editor = (await api.post(f"/api/v1/projects/{pid}/tokens", json={"name": "remote", "role": "editor"})).json()
    viewer = (await api.post(f"/api/v1/projects/{pid}/tokens", json={"name": "remote-reader", "role": "viewer"})).json()
    async with httpx.AsyncClient(base_url=stack.api_url) as anonymous:  # no token: refused before MCP sees it
        refused = await anonymous.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert refused.status_code == 401 and "Bearer" in refused.json()["message"]
        forged = await anonymous.post("/mcp", headers={"authorization": "Bearer ct_not-a-token"}, json={})
        assert forged.status_code == 401

    suite = await suite_of(api, pid, "Slow over MCP")
    for i in range(4):
        await make_case(api, pid, suite, f"slow {i}", [{"action": "request", "url": "/slow"},
                                                       {"action": "expect_status", "status": 200}])
    async with Client(_remote(stack, editor["token"]), read_timeout_seconds=300) as client:
        assert [p["id"] for p in _data(await client.call_tool("list_projects", {}))] == [pid]
        steps = (await client.read_resource("cognitest://reference/steps")).contents[0].text
        assert "expect_status" in steps
        # two CI imports: the second breaks one case and fixes nothing
        first = _data(await client.call_tool("import_junit", {"project_id": pid, "run_name": "build 1",
                                                              "xml": junit({"pays": None, "ships": None}).decode()}))
        second = _data(await client.call_tool("import_junit", {"project_id": pid, "run_name": "build 2",
                                                               "xml": junit({"pays": "AssertionError: 500", "ships": None}).decode()}))
        compared = _data(await client.call_tool("compare_runs", {"project_id": pid, "run_id": second["run_id"]}))
        assert compared["base"]["id"] == first["run_id"] and compared["counts"]["new_failures"] == 1
        assert compared["new_failures"][0]["key"].endswith("pays") and compared["counts"]["fixed"] == 0
        # a run waited for with progress notifications
        progress: list[float] = []

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            progress.append(done)
        ran = _data(await client.call_tool("start_run", {"project_id": pid, "suite_id": suite, "base_url": demo.url},
                                           progress_callback=on_progress))
        assert ran["status"] == "completed" and ran["totals"]["passed"] == 4 and progress
        read = json.loads((await client.read_resource(f"cognitest://projects/{pid}/runs/{ran['run_id']}")).contents[0].text)
        assert len(read["results"]) == 4
        # a run cancelled by the agent
        started = (await api.post(f"/api/v1/projects/{pid}/runs", json={"suite_id": suite,
                                                                        "environment": {"base_url": demo.url}})).json()
        async def running():
            got = await api.get(f"/api/v1/projects/{pid}/runs/{started['resource_id']}")
            return got.status_code == 200 and got.json()["status"] == "running"
        await eventually(running, timeout=60)
        cancelled = _data(await client.call_tool("cancel_run", {"project_id": pid, "run_id": started["resource_id"]}))
        assert cancelled["status"] == "cancelled"
        bad = await client.call_tool("compare_runs", {"project_id": pid, "run_id": "not-a-uuid"})
        assert bad.is_error and "422" in bad.content[0].text
        # the failed CI case, its issue triaged, the case changed, an automation approved
        assert [r["id"] for r in _data(await client.call_tool("list_runs", {"project_id": pid}))][:1] == [started["resource_id"]]
        [failure] = _data(await client.call_tool("failed_cases", {"project_id": pid, "run_id": second["run_id"]}))
        assert failure["key"].endswith("pays") and "500" in failure["error"]

        async def triaged():
            found = _data(await client.call_tool("list_issues", {"project_id": pid}))
            return [i for i in found if "pays" in i["title"]] or None
        [issue] = await eventually(triaged, timeout=60)
        updated = _data(await client.call_tool("update_issue", {"project_id": pid, "issue_id": issue["id"],
                                                                "status": "in_progress", "assigned_to": "qa@example.com"}))
        assert updated["status"] == "in_progress" and updated["assigned_to"] == "qa@example.com"
        slow = _data(await client.call_tool("list_cases", {"project_id": pid, "q": "slow 0"}))[0]
        changed = _data(await client.call_tool("update_case", {"project_id": pid, "case_id": slow["id"],
                                                               "priority": "critical", "tags": ["mcp"]}))
        assert changed["priority"] == "critical" and changed["tags"] == ["mcp"]
        automation = await create_automation(api, pid, {
            "nodes": [{"id": "start", "type": "trigger.manual"},
                      {"id": "review", "type": "approval", "config": {"prompt": "Ship it?"}},
                      {"id": "yes", "type": "slack", "config": {"text": "approved by {{ nodes.review.output.by }}",
                                                                "webhook_url": f"{outside.url}/slack/{pid}"}}],
            "edges": [{"source": "start", "target": "review"}, {"source": "review", "target": "yes", "label": "approved"}]})
        waiting = _data(await client.call_tool("run_automation", {"project_id": pid, "automation_id": automation["id"]}))
        assert waiting["status"] == "waiting"
        answered = _data(await client.call_tool("answer_approval", {"project_id": pid, "execution_id": waiting["id"],
                                                                    "approved": True}))
        assert answered["approved"] is True and answered["by"] == f"token:{editor['id']}"

        async def told():
            return [m.body["text"] for m in outside.at(f"/slack/{pid}")] or None
        assert await eventually(told, timeout=60) == [f"approved by token:{editor['id']}"]

    async with Client(_remote(stack, viewer["token"]), read_timeout_seconds=120) as client:
        refused_tool = await client.call_tool("cancel_run", {"project_id": pid, "run_id": started["resource_id"]})
        assert refused_tool.is_error and "403" in refused_tool.content[0].text
    audit = (await api.get(f"/api/v1/projects/{pid}/audit", params={"type": "run.cancel_requested"})).json()["items"]
    assert any(item["actor"] == f"token:{editor['id']}" for item in audit)  # the remote agent acted as itself


async def test_a_listening_agent_is_told_when_what_it_reads_has_changed(
        stack: PlatformStack, api: httpx.AsyncClient, project: dict) -> None:
    """Resource subscriptions (`subscriptions/listen`) over stdio and over HTTP: an update to a case
    the agent listens to arrives once the read models show it; a resource the caller cannot read
    (unknown id, another scheme) is refused before any stream opens. The four prompts are listed."""
    import anyio
    from mcp.shared.exceptions import MCPError

    from tests.integration.test_execution import make_case, suite_of

    pid = project["id"]
    editor = (await api.post(f"/api/v1/projects/{pid}/tokens", json={"name": "listener", "role": "editor"})).json()
    case = await make_case(api, pid, await suite_of(api, pid, "Watched"), "Watched case",
                           [{"action": "request", "url": "/"}, {"action": "expect_status", "status": 200}])
    uri = f"cognitest://projects/{pid}/cases/{case['id']}"
    for transport, connect in (("stdio", _server), ("http", _remote)):
        async with Client(connect(stack, editor["token"]), read_timeout_seconds=120) as client:
            prompts = {p.name for p in (await client.list_prompts()).prompts}
            assert {"fix_failing_test", "triage_latest_failed_run", "write_executable_cases",
                    "bug_report_to_regression_case"} <= prompts, transport
            for refused in (f"cognitest://projects/{pid}/cases/00000000-0000-4000-8000-000000000000",
                            "file:///etc/passwd"):
                try:
                    async with client.listen(resource_subscriptions=[refused]):
                        raise AssertionError(f"{transport}: a listen to {refused} was served")
                except MCPError as exc:
                    assert refused.split("/")[-1] in str(exc) or "not a Cognitest resource" in str(exc), str(exc)
            async with client.listen(resource_subscriptions=[uri]) as updates:
                priority = {"stdio": "high", "http": "critical"}[transport]
                changed = await api.patch(f"/api/v1/projects/{pid}/cases/{case['id']}", json={"priority": priority})
                assert changed.status_code == 202, changed.text
                with anyio.fail_after(60):
                    event = await updates.__anext__()
                assert getattr(event, "uri", None) == uri, (transport, event)
                read = json.loads((await client.read_resource(uri)).contents[0].text)
                assert read["priority"] == priority, transport  # told after the change is readable
