"""Async engines. One engine per event loop: never share an asyncpg pool across loops."""

import asyncio
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine


def make_engine(url: str, *, pool_size: int = 10, command_timeout: float | None = 60.0) -> AsyncEngine:
    """Every database call has a deadline, so an outage (or a hung server) is an error the caller
    can answer (the API: 503 with Retry-After; consumers: retry later) instead of a hang: 5 s to
    connect, 10 s to get a pooled connection, `command_timeout` per statement (None for migrations)."""
    connect_args: dict[str, object] = {"timeout": 5}
    if command_timeout is not None:
        connect_args["command_timeout"] = command_timeout
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_timeout=10,
                               connect_args=connect_args)


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def _not_ready_yet(exc: DBAPIError) -> bool:
    text_ = str(exc.orig if exc.orig is not None else exc).lower()
    return any(w in text_ for w in ("starting up", "shutting down", "recovery", "connection refused",
                                    "cannot connect now", "connection was closed"))


async def ensure_database(url: str, *, timeout: float = 120.0) -> None:
    """Create the target database if the server does not have it yet (embedded first start).

    Waits while the server is unreachable or still recovering: after an unclean stop PostgreSQL
    accepts TCP connections but answers "the database system is starting up" until its recovery
    has finished, and migrating then would fail."""
    name = urlsplit(url).path.lstrip("/")
    admin = create_async_engine(_with_database(url, "postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while True:
            try:
                async with admin.connect() as conn:
                    exists = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
                    if not exists:
                        await conn.execute(text(f'CREATE DATABASE "{name}"'))
                return
            except (OSError, DBAPIError) as exc:
                if isinstance(exc, DBAPIError) and not _not_ready_yet(exc):
                    raise
                if loop.time() >= deadline:
                    raise
                await asyncio.sleep(0.3)
    finally:
        await admin.dispose()
