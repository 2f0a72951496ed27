"""Async engines. One engine per event loop: never share an asyncpg pool across loops."""

import asyncio
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import text
from sqlalchemy.pool import NullPool
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


async def ensure_database(url: str, *, attempts: int = 50) -> None:
    """Create the target database if the server does not have it yet (embedded first start)."""
    name = urlsplit(url).path.lstrip("/")
    admin = create_async_engine(_with_database(url, "postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        for attempt in range(attempts):
            try:
                async with admin.connect() as conn:
                    exists = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
                    if not exists:
                        await conn.execute(text(f'CREATE DATABASE "{name}"'))
                return
            except OSError:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.2)
    finally:
        await admin.dispose()
