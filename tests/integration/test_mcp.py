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
        generated = _data(await client.call_tool("generate", {"project_id": pid, "engine": "offline"}))
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
