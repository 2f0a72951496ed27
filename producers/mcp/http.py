"""The MCP server over streamable HTTP, at `/mcp` on the API, for remote agents. Every request
must carry `Authorization: Bearer <token>` (a project API token, an OIDC access token, the admin
token): it is checked before the MCP layer sees the request, and each tool call is made with it
through the API in-process, so the caller can do exactly what its token's role allows and is the
actor of what it does. Stateless (no session affinity): any API process answers any request;
progress of a long tool call streams back on the POST's own response (server-sent events)."""

from contextlib import asynccontextmanager
from typing import Any
from collections.abc import AsyncIterator

from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from cognitest.producers.api.access.authenticate import Unauthenticated
from cognitest.producers.api.state import get_state
from cognitest.producers.mcp.backend import CALLER, InProcessBackend
from cognitest.producers.mcp.server import build

PATH = "/mcp"


class McpEndpoint:
    """An ASGI endpoint: the bearer check, then the SDK's streamable HTTP transport."""

    def __init__(self, app: Any, base_url: str) -> None:
        self.backend = InProcessBackend(app, base_url)
        self.server = build(self.backend)
        # a bearer token is required on every request (no cookies), so a page in a browser cannot
        # ride on anyone's session: the SDK's Host/Origin allow-list (DNS rebinding) adds nothing
        # and would refuse the API's real host name
        self.server.streamable_http_app(stateless_http=True, transport_security=TransportSecuritySettings(
            enable_dns_rebinding_protection=False))
        self.transport = StreamableHTTPASGIApp(self.server.session_manager)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with self.server.session_manager.run():
            try:
                yield
            finally:
                await self.backend.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            await _refuse("send `Authorization: Bearer <token>` (an API token, an OIDC access token)")(scope, receive, send)
            return
        try:
            principal = await get_state(request).auth.principal(request)
        except Unauthenticated as exc:
            principal, reason = None, str(exc.detail)
        else:
            reason = "the bearer token is not valid"
        if principal is None:
            await _refuse(reason)(scope, receive, send)
            return
        token = CALLER.set(header)
        try:
            await self.transport(scope, receive, send)
        finally:
            CALLER.reset(token)


def _refuse(message: str) -> JSONResponse:
    return JSONResponse({"error": "unauthenticated", "message": message}, status_code=401,
                        headers={"www-authenticate": 'Bearer realm="cognitest"'})
