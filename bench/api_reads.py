"""API read benchmark: the main list endpoint (cases, 50 per page, a few sorts and filters) of a
project with 10,000 cases, served with the NATS key-value read cache, without it, and the bare
SQLAlchemy query of the same page in the same run (the raw library).

    .venv/bin/python -m bench.api_reads

Prints a table and writes bench/results/api_reads.json. Not a test: nothing here asserts."""

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bench.results import save
from cognitest.infra.db import models as m
from cognitest.schemas import new_event
from cognitest.schemas.events.testing import CaseCreated
from tests.support.stack import PlatformStack

QUERIES = [{"limit": 50}, {"limit": 50, "sort": "title"}, {"limit": 50, "priority": "high"}, {"limit": 50, "offset": 5000}]


def summary(latencies: list[float], seconds: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"requests": len(ordered), "per_second": round(len(ordered) / seconds, 1),
            "p50_ms": round(statistics.median(ordered) * 1000, 2), "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2)}


async def http_reads(stack: PlatformStack, path: str, n: int, concurrency: int = 16,
                     token: str | None = None) -> dict[str, float]:
    latencies: list[float] = []

    async def worker(client: httpx.AsyncClient, share: int, offset: int) -> None:
        for i in range(share):
            started = time.perf_counter()
            r = await client.get(path, params=QUERIES[(offset + i) % len(QUERIES)])
            r.raise_for_status()
            latencies.append(time.perf_counter() - started)

    async with stack.client(token) as client:  # authenticated: the access check is part of every read
        for q in QUERIES:  # warm every query once
            await client.get(path, params=q)
        started = time.perf_counter()
        await asyncio.gather(*[worker(client, n // concurrency, k) for k in range(concurrency)])
    return summary(latencies, time.perf_counter() - started)


async def raw_reads(stack: PlatformStack, project_id: str, n: int, concurrency: int = 16) -> dict[str, float]:
    latencies: list[float] = []
    pid = uuid.UUID(project_id)

    async def worker(share: int) -> None:
        for i in range(share):
            started = time.perf_counter()
            async with stack.sessions()() as session:
                q = select(m.TestCase).where(m.TestCase.project_id == pid, m.TestCase.deleted_at.is_(None))
                rows = (await session.scalars(q.order_by(m.TestCase.created_at.desc()).limit(50).offset((i % 2) * 5000))).all()
                [{a.key: getattr(r, a.key) for a in m.TestCase.__mapper__.column_attrs} for r in rows]
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*[worker(n // concurrency) for _ in range(concurrency)])
    return summary(latencies, time.perf_counter() - started)


async def main(cases: int = 10_000, reads: int = 2_000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        stack = PlatformStack(Path(tmp))
        try:
            await stack.start_all()
            async with stack.client() as api:
                project = (await api.post("/api/v1/projects", params={"wait": "true"}, json={"name": "reads"})).json()
            pid = project["id"]
            events = [new_event(CaseCreated(case_id=uuid.uuid4(), title=f"case {i:05d}", priority=("high", "low")[i % 2]),
                                project_id=pid) for i in range(cases)]
            for start in range(0, cases, 2000):
                await stack.publisher.publish_many(events[start:start + 2000])
            await stack.wait_caught_up(timeout=300)
            path = f"/api/v1/projects/{pid}/cases"
            cached = await http_reads(stack, path, reads)
            async with stack.client() as api:  # a project API token: its lookup is one more query per request
                token = (await api.post(f"/api/v1/projects/{pid}/tokens", json={"name": "bench", "role": "viewer"})).json()
            cached_token = await http_reads(stack, path, reads, token=token["token"])
            os.environ["COGNITEST_CACHE__ENABLED"] = "false"
            await stack.restart("api")
            await stack.wait_ready()
            uncached = await http_reads(stack, path, reads)
            raw = await raw_reads(stack, pid, reads)
        finally:
            os.environ.pop("COGNITEST_CACHE__ENABLED", None)
            await stack.close()
    result = {"cases": cases, "cached": cached, "cached_api_token": cached_token, "uncached": uncached,
              "raw_sqlalchemy": raw,
              "cached_vs_uncached": round(cached["per_second"] / uncached["per_second"], 2)}
    print(f"\nAPI reads: GET cases (50 per page) on a project with {cases:,} cases, 16 concurrent clients")
    print(f"{'':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name in ("cached", "cached_api_token", "uncached", "raw_sqlalchemy"):
        row = result[name]
        print(f"{name:<22}{row['per_second']:>10}{row['p50_ms']:>10}{row['p99_ms']:>10}")
    save("api_reads", result)
    return result


if __name__ == "__main__":
    asyncio.run(main())
