"""The MCP server: Cognitest as tools for AI agents."""
