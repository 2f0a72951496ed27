"""How the MCP tools reach the API: over HTTP with the CLI's client (`cognitest mcp` over stdio, as
whoever COGNITEST_TOKEN names), or in-process through the API application itself (the `/mcp`
endpoint, as the HTTP caller's own bearer token). Either way every call passes the API's
authentication, permission table and audit log; a refusal becomes a tool error with its message."""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any, Protocol

import httpx
from mcp.server.mcpserver.exceptions import ToolError

from cognitest.producers.cli.client import Api, clean_params, error_message
from cognitest.producers.cli.exits import CliError

# the Authorization header of the HTTP request an MCP message came in (set by the /mcp gate)
CALLER: ContextVar[str | None] = ContextVar("cognitest_mcp_caller", default=None)
Files = list[tuple[str, tuple[str, bytes, str]]]


class Backend(Protocol):
    base: str  # the API's URL, for links an agent can open

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None,
                      files: Files | None = None, data: dict[str, str] | None = None) -> Any: ...

    def follow(self, project: str) -> AsyncIterator[dict[str, Any]]:
        """The project's events, each once the read models reflect it, until the stream drops."""
        ...


class ClientBackend:
    """The CLI's HTTP client (its retries, idempotency keys and wait-following), run in a thread."""

    def __init__(self, api_url: str | None = None) -> None:
        self.api = Api(api_url)
        self.base = self.api.base

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None,
                      files: Files | None = None, data: dict[str, str] | None = None) -> Any:
        def send() -> Any:
            if files is None:
                return self.api.request(method, path, params=params, body=body)
            response = self.api.client.post(path, params=clean_params(params), files=files, data=data or None)
            if response.status_code >= 400:
                raise CliError(error_message(response))
            return response.json()
        try:
            return await asyncio.to_thread(send)
        except CliError as exc:  # the API's own message (403: the token's role may not do it)
            raise ToolError(str(exc)) from None

    async def follow(self, project: str) -> AsyncIterator[dict[str, Any]]:
        """The API's live event stream (server-sent events, `applied=true`), as this token."""
        params = {"project": project, "named": "false", "applied": "true"}
        async with httpx.AsyncClient(base_url=self.base, headers=self.api.client.headers, timeout=None) as client:
            async with client.stream("GET", "/api/v1/events/stream", params=params) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise ToolError(error_message(response))
                async for line in response.aiter_lines():
                    if line.startswith("data: "):
                        yield json.loads(line[6:])


class InProcessBackend:
    """The API application called in-process (no socket) with the MCP caller's bearer token."""

    def __init__(self, app: Any, base: str) -> None:
        self.base = base.rstrip("/")
        self.app = app
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=self.base, timeout=60.0)

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None,
                      files: Files | None = None, data: dict[str, str] | None = None) -> Any:
        caller = CALLER.get()
        if not caller:
            raise ToolError("no credentials: send `Authorization: Bearer <token>` with every MCP request")
        headers = {"authorization": caller}
        if method != "GET":
            headers["idempotency-key"] = f"mcp-{uuid.uuid4()}"
        kwargs: dict[str, Any] = {"params": clean_params(params), "headers": headers}
        if files is not None:
            kwargs.update(files=files, data=data or None)
        elif body is not None:
            kwargs["json"] = body
        response = await self.client.request(method, path, **kwargs)
        if (params or {}).get("wait") in (True, "true") and response.status_code == 202 and response.headers.get("location"):
            response = await self._follow(response.headers["location"], headers["authorization"])
        if response.status_code >= 400:
            raise ToolError(error_message(response))
        return response.json() if response.content else None

    async def _follow(self, location: str, caller: str, timeout: float = 120.0) -> httpx.Response:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = await self.client.get(location, headers={"authorization": caller})
            if found.status_code != 404:
                return found
            await asyncio.sleep(0.5)
        raise ToolError(f"the platform accepted the change but has not applied it yet; follow {location}")

    async def follow(self, project: str) -> AsyncIterator[dict[str, Any]]:
        """The events straight from the bus (the API's own follower: an ASGI call in-process would
        buffer a stream that never ends); whoever listens was checked when the listen began."""
        from cognitest.producers.api.follow import Follower  # here: the stdio server (in the CLI) never loads the API

        async with Follower(self.app.state.cognitest, project, applied=True) as follower:
            async for item in follower:
                yield item.body()

    async def close(self) -> None:
        await self.client.aclose()
