"""Web UI benchmark: the server time of each main page of a project with 10,000 cases (and runs,
issues, feedback and events to show), one request at a time as a person browses, next to the bare
SQLAlchemy query of the cases page's rows in the same run (the raw library). Target: every page
under 300 ms server time.

    .venv/bin/python -m bench.ui_pages

Prints a table and writes bench/results/ui_pages.json. Not a test: nothing here asserts."""

import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.results import save
from cognitest.infra.db import models as m
from cognitest.schemas import new_event
from cognitest.schemas.events.issues import IssueCreated
from cognitest.schemas.events.testing import CaseCreated
from tests.support.stack import PlatformStack

ROUNDS = 40


def timing(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1), "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1)}


async def main(cases: int = 10_000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        stack = PlatformStack(Path(tmp))
        try:
            await stack.start_all()
            async with stack.client() as api:
                pid = (await api.post("/api/v1/projects", params={"wait": "true"}, json={"name": "pages"})).json()["id"]
            events = [new_event(CaseCreated(case_id=uuid.uuid4(), title=f"case {i:05d}", priority=("high", "low")[i % 2],
                                            tags=["flaky"] if i % 500 == 0 else []), project_id=pid) for i in range(cases)]
            events += [new_event(IssueCreated(issue_id=uuid.uuid4(), title=f"issue {i}", severity="high"), project_id=pid)
                       for i in range(200)]
            for start in range(0, len(events), 2000):
                await stack.publisher.publish_many(events[start:start + 2000])
            await stack.wait_caught_up(timeout=300)
            async with stack.client() as api:
                case_id = (await api.get(f"/api/v1/projects/{pid}/cases", params={"limit": 1})).json()["items"][0]["id"]
            pages = {"dashboard": "", "cases": "/cases", "cases (search, page 100)": "/cases?q=case&offset=5000",
                     "case": f"/cases/{case_id}", "issues": "/issues", "runs": "/runs", "requirements": "/requirements",
                     "plans": "/plans", "automations": "/automations", "event log": "/events", "members": "/members",
                     "settings": "/settings"}
            results: dict[str, Any] = {}
            async with stack.client() as browser:
                for name, path in pages.items():
                    url = f"/ui/projects/{pid}{path}"
                    (await browser.get(url)).raise_for_status()  # warm
                    latencies = []
                    for _ in range(ROUNDS):
                        started = time.perf_counter()
                        (await browser.get(url)).raise_for_status()
                        latencies.append(time.perf_counter() - started)
                    results[name] = timing(latencies)
            raw = []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                async with stack.sessions()() as session:
                    q = select(m.TestCase).where(m.TestCase.project_id == uuid.UUID(pid), m.TestCase.deleted_at.is_(None))
                    (await session.scalars(q.order_by(m.TestCase.created_at.desc()).limit(50))).all()
                raw.append(time.perf_counter() - started)
            results["raw SQLAlchemy: the cases page's rows"] = timing(raw)
        finally:
            await stack.close()
    print(f"\nWeb UI pages: server time, {cases:,} cases, one request at a time ({ROUNDS} each)")
    print(f"{'page':<40}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for name, row in results.items():
        print(f"{name:<40}{row['p50_ms']:>10}{row['p99_ms']:>10}{row['max_ms']:>10}")
    result = {"cases": cases, "pages": results}
    save("ui_pages", result)
    return result


if __name__ == "__main__":
    asyncio.run(main())
