"""The MCP server's tools, in-process (the SDK's client on the server object): each is described and
typed, and an API it cannot reach is a tool error that says so, never a crash."""

from mcp import Client

from cognitest.producers.mcp.server import build


async def test_tools_are_described_typed_and_fail_as_tool_errors() -> None:
    server = build("http://127.0.0.1:9")  # nothing listens there
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert len(tools) == 12 and all(t.description for t in tools.values())
        assert tools["create_case"].input_schema["required"] == ["project_id", "title"]
        assert "executable_steps" in tools["create_case"].input_schema["properties"]
        result = await client.call_tool("list_projects", {})
        assert result.is_error and "cannot reach the Cognitest API" in result.content[0].text
