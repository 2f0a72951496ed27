"""Proxy headers are believed only from configured proxies: a forged X-Forwarded-For from
loopback no longer picks the client address that per-address limits count."""

import asyncio
import socket

import httpx
import uvicorn

from cognitest.infra.settings import Settings
from cognitest.producers.api.__main__ import server_options


async def _echo_client(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    host = (scope.get("client") or ("none", 0))[0]
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": host.encode()})


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _seen_client(trusted: str) -> str:
    settings = Settings(http={"host": "127.0.0.1", "port": _port(), "trusted_proxies": trusted})
    server = uvicorn.Server(uvicorn.Config(_echo_client, **server_options(settings)))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient() as client:
            r = await client.get(f"http://127.0.0.1:{settings.http.port}/", headers={"x-forwarded-for": "203.0.113.9"})
        return r.text
    finally:
        server.should_exit = True
        await task


async def test_forged_forwarded_for_from_loopback_is_ignored_by_default() -> None:
    assert await _seen_client("") == "127.0.0.1"


async def test_a_configured_proxy_is_believed() -> None:
    assert await _seen_client("127.0.0.1") == "203.0.113.9"
