"""The MCP server's tools, in-process (the SDK's client on the server object): each is described and
typed, and an API it cannot reach is a tool error that says so, never a crash."""

from mcp import Client

from cognitest.producers.mcp.backend import ClientBackend
from cognitest.producers.mcp.server import build


async def test_tools_are_described_typed_and_fail_as_tool_errors() -> None:
    server = build(ClientBackend("http://127.0.0.1:9"))  # nothing listens there
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert len(tools) == 17 and all(t.description for t in tools.values())
        assert tools["create_case"].input_schema["required"] == ["project_id", "title"]
        assert "executable_steps" in tools["create_case"].input_schema["properties"]
        result = await client.call_tool("list_projects", {})
        assert result.is_error and "cannot reach the Cognitest API" in result.content[0].text


async def test_resources_and_the_prompt_are_listed_and_the_references_read() -> None:
    server = build(ClientBackend("http://127.0.0.1:9"))
    async with Client(server) as client:
        static = {str(r.uri) for r in (await client.list_resources()).resources}
        assert static == {"cognitest://reference/steps", "cognitest://reference/events"}
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert "cognitest://projects/{project_id}/runs/{run_id}" in templates and len(templates) == 4
        steps = (await client.read_resource("cognitest://reference/steps")).contents[0].text
        assert "`expect_text`: text: str" in steps and "`upload`" in steps  # from the step models themselves
        events = (await client.read_resource("cognitest://reference/events")).contents[0].text
        assert "`run.failed`" in events
        prompt = await client.get_prompt("fix_failing_test", {"project_id": "p", "run_id": "r"})
        assert "failed_cases" in prompt.messages[0].content.text
