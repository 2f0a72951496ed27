"""Execution benchmarks.

1. Our web runner (CaseRunner: guard, per-step timing, tracing, logs) against a bare Playwright
   script doing the same steps in the same process model (one browser, a fresh context per
   case), in the same run. Aim: under 10% overhead.
2. JUnit ingestion: 100,000 results posted to the API, until the run is complete in PostgreSQL.
   Aim: under 30 seconds on 2 cores.

    .venv/bin/python -m bench.execution [--cases 40] [--results 100000]

Prints a table and writes bench/results/execution.json. Not a test: nothing here asserts."""

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from playwright.async_api import async_playwright

from bench.results import save
from cognitest.consumers.execution.cases import CaseRunner, CaseSpec
from cognitest.infra.browser import CHROMIUM_ARGS, system_chromium
from cognitest.infra.blob import LocalBlobStore
from cognitest.infra.settings import ExecutionSettings
from tests.support.demo_app import DemoApp
from tests.support.stack import PlatformStack

STEPS = [{"action": "goto", "url": "/login"},
         {"action": "fill", "target": {"label": "Email"}, "value": "user@example.com"},
         {"action": "fill", "target": {"label": "Password"}, "value": "Str0ng!Passw0rd"},
         {"action": "click", "target": {"role": "button", "name": "Log in"}},
         {"action": "expect_text", "text": "Welcome back"}]


async def bare(url: str, n: int) -> float:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=system_chromium(None), args=CHROMIUM_ARGS)
        started = time.perf_counter()
        for _ in range(n):
            context = await browser.new_context(base_url=url)
            await context.tracing.start(screenshots=True, snapshots=True)
            page = await context.new_page()
            await page.goto("/login")
            await page.get_by_label("Email").fill("user@example.com")
            await page.get_by_label("Password").fill("Str0ng!Passw0rd")
            await page.get_by_role("button", name="Log in").click()
            await page.locator("body").get_by_text("Welcome back").wait_for()
            await context.tracing.stop()
            await context.close()
        elapsed = time.perf_counter() - started
        await browser.close()
    return elapsed


async def ours(url: str, n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        runner = CaseRunner(ExecutionSettings(), LocalBlobStore(Path(tmp)))
        await runner.browsers.browser("chromium")  # launched outside the timing, as in the bare script
        started = time.perf_counter()
        for _ in range(n):
            result = await runner.run(CaseSpec(uuid.uuid4(), "login", STEPS, "chromium"), {"base_url": url}, None, 0)
            assert result.outcome == "passed", result.error
        elapsed = time.perf_counter() - started
        await runner.close()
    return elapsed


def junit(n: int) -> bytes:
    cases = "".join(f'<testcase classname="bench.suite{i % 50}" name="test_{i}" time="0.01">'
                    + ('<failure message="assert False">trace</failure>' if i % 97 == 0 else "") + "</testcase>"
                    for i in range(n))
    return f'<?xml version="1.0"?><testsuites><testsuite name="bench">{cases}</testsuite></testsuites>'.encode()


async def ingestion(n: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        stack = PlatformStack(Path(tmp))
        import os

        os.environ["COGNITEST_REQUIREMENTS__MAX_UPLOAD_BYTES"] = str(50_000_000)  # the tests' stack caps it lower
        await stack.start_all()
        try:
            async with stack.client(timeout=300) as api:
                project = (await api.post("/api/v1/projects", params={"wait": "true"}, json={"name": "bench"})).json()
                report = junit(n)
                started = time.perf_counter()
                r = await api.post(f"/api/v1/projects/{project['id']}/results", files=[("files", ("r.xml", report))])
                accepted = time.perf_counter() - started
                if r.status_code >= 400:
                    raise RuntimeError(f"import refused: {r.status_code} {r.text[:300]}")
                run_id = r.json()["run_id"]
                while True:
                    got = await api.get(f"/api/v1/projects/{project['id']}/runs/{run_id}")
                    if got.status_code == 200 and got.json()["status"] in ("completed", "failed"):
                        break
                    await asyncio.sleep(0.2)
                total = time.perf_counter() - started
            copy_s = await bare_copy(stack.settings.database.effective_url, n)
        finally:
            await stack.close()
    return {"results": n, "accepted_s": accepted, "complete_s": total, "results_per_s": n / total,
            "bare_copy_s": copy_s, "bare_copy_per_s": n / copy_s, "ratio_vs_copy": (n / total) / (n / copy_s)}


async def bare_copy(database_url: str, n: int) -> float:
    """The raw floor: PostgreSQL COPY of the same number of result rows into a table of the same
    shape as run_results, on the same server, in the same run."""
    import asyncpg

    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("CREATE TEMP TABLE bench_results (LIKE run_results INCLUDING DEFAULTS)")
        run_id, project_id = uuid.uuid4(), uuid.uuid4()
        rows = [(uuid.uuid4(), project_id, run_id, uuid.uuid4(), f"bench.suite{i % 50}::test_{i}",
                 "failed" if i % 97 == 0 else "passed", 10, 1, "assert False" if i % 97 == 0 else None)
                for i in range(n)]
        started = time.perf_counter()
        await conn.copy_records_to_table("bench_results", records=rows, columns=[
            "id", "project_id", "run_id", "test_case_id", "key", "outcome", "duration_ms", "attempts", "error"])
        return time.perf_counter() - started
    finally:
        await conn.close()


async def main(cases: int, results: int) -> dict:
    app = DemoApp()
    try:
        await bare(app.url, 3)
        bare_runs = [await bare(app.url, cases) for _ in range(3)]
        our_runs = [await ours(app.url, cases) for _ in range(3)]
    finally:
        app.close()
    b, o = statistics.median(bare_runs), statistics.median(our_runs)
    ingest = await ingestion(results)
    result = {"web": {"cases": cases, "bare_s": b, "ours_s": o, "overhead_pct": (o - b) / b * 100}, "ingestion": ingest}
    print("\nExecution benchmark")
    print(f"  {cases} web cases, bare Playwright           {b:.2f} s ({b / cases * 1000:.0f} ms/case)")
    print(f"  {cases} web cases, Cognitest runner          {o:.2f} s ({o / cases * 1000:.0f} ms/case), "
          f"overhead {result['web']['overhead_pct']:+.1f}%")
    print(f"  JUnit ingestion of {results:,} results     accepted in {ingest['accepted_s']:.1f} s, complete in "
          f"{ingest['complete_s']:.1f} s ({ingest['results_per_s']:,.0f} results/s)")
    print(f"  bare PostgreSQL COPY of {results:,} rows     {ingest['bare_copy_s']:.2f} s ({ingest['bare_copy_per_s']:,.0f} rows/s), "
          f"ratio {ingest['ratio_vs_copy']:.3f}")
    save("execution", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--results", type=int, default=100_000)
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.results))
