"""What the API holds for its lifetime: one NATS connection, one database engine, the waiter,
and a Temporal client (connected lazily: the API serves reads while Temporal starts)."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from nats.aio.client import Client
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from cognitest.infra.bus.publisher import EventPublisher
from cognitest.infra.settings import Settings
from cognitest.infra.temporal import connect_temporal
from cognitest.producers.api.waiter import ProjectionWaiter


@dataclass
class AppState:
    settings: Settings
    nc: Client
    publisher: EventPublisher
    engine: AsyncEngine
    sessions: async_sessionmaker
    waiter: ProjectionWaiter
    blobs: Any = None
    cache: Any = None  # ReadCache, when enabled
    auth: Any = None  # access.authenticate.Authenticator
    cipher: Any = None  # infra.identity.crypto.SecretBox: integration secrets at rest
    login_limit: Any = None  # access.rate_limit.SlidingWindow: per account
    address_limit: Any = None  # per client address
    token_limit: Any = None
    _temporal: Any = None
    _temporal_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def temporal(self) -> Any:
        async with self._temporal_lock:
            if self._temporal is None:
                self._temporal = await connect_temporal(self.settings)
            return self._temporal


def get_state(request: Request) -> AppState:
    return request.app.state.cognitest


def actor_of(request: Request) -> str:
    """Who is acting, as every event they cause records it (set by the access guard; routes open
    to everyone, such as signed webhooks, act as `anonymous`)."""
    principal = getattr(request.state, "principal", None)
    return principal.actor if principal is not None else "anonymous"
