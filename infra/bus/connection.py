"""Connecting to NATS with reconnects that never give up while the process lives."""

import asyncio
from typing import Any

import nats
from nats.aio.client import Client

from cognitest.infra.logging import get_logger

log = get_logger(__name__)


class BusUnavailable(RuntimeError):
    """NATS could not be reached."""


async def connect(url: str, name: str, *, auth: dict[str, Any] | None = None, connect_timeout: float = 5.0,
                  retry_on_start: bool = False, start_deadline: float = 30.0) -> Client:
    """Connect; with retry_on_start, keep trying for `start_deadline` seconds (services that
    start together need not start in order). `auth` is `auth.connect_options(settings, role)`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (start_deadline if retry_on_start else 0)
    while True:
        try:
            return await _connect_once(url, name, connect_timeout, auth or {})
        except BusUnavailable:
            if loop.time() >= deadline:
                raise
            await asyncio.sleep(0.5)


async def _connect_once(url: str, name: str, connect_timeout: float, auth: dict[str, Any]) -> Client:
    async def on_disconnect() -> None:
        log.info("nats.disconnected", url=url)

    async def on_reconnect() -> None:
        log.info("nats.reconnected", url=url)

    async def on_error(exc: Exception) -> None:
        log.warning("nats.error", error=str(exc) or type(exc).__name__)

    try:
        return await nats.connect(
            [server.strip() for server in url.split(",")],  # a cluster: "nats://a:4222,nats://b:4222"
            name=name,
            connect_timeout=connect_timeout,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            allow_reconnect=True,
            disconnected_cb=on_disconnect,
            reconnected_cb=on_reconnect,
            error_cb=on_error,
            **auth,
        )
    except Exception as exc:  # nats raises several unrelated types for "cannot connect"
        if "authorization" in str(exc).lower():
            raise BusUnavailable(f"NATS at {url} refused this process's credentials: {exc}") from exc
        raise BusUnavailable(f"cannot reach NATS at {url}: {exc or type(exc).__name__}") from exc
