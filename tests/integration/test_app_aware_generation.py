"""App-aware generation against a live web app with real behaviour (tests/support/bookshelf_app.py):
the pipeline explores it in Chromium (same origin, bounded, no destructive link followed), grounds
cases in its pages, dry-runs the executable ones, and a broken behaviour makes its cases fail."""

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import eventually
from tests.integration.test_execution import run_and_wait
from tests.integration.test_generation import generate, upload
from tests.support.bookshelf_app import BookshelfApp
from tests.support.cli import cli_for
from tests.support.stack import PlatformStack

DOCUMENT = Path(__file__).resolve().parents[1] / "fixtures" / "requirements" / "bookshelf.md"


@pytest.fixture
def bookshelf() -> Iterator[BookshelfApp]:
    app = BookshelfApp()
    yield app
    app.close()


async def _dry_run(api: httpx.AsyncClient, pid: str, run_id: str) -> tuple[dict, list]:
    async def ended():
        got = await api.get(f"/api/v1/projects/{pid}/runs/{run_id}")
        return got.json() if got.status_code == 200 and got.json()["status"] in ("completed", "failed") else None
    run = await eventually(ended, timeout=180, interval=0.5)
    return run, (await api.get(f"/api/v1/projects/{pid}/runs/{run_id}/results", params={"limit": 500})).json()["items"]


async def test_generation_grounded_in_a_live_app_is_executable_and_verified(
        api: httpx.AsyncClient, project: dict, bookshelf: BookshelfApp) -> None:
    pid = project["id"]
    assert (await upload(api, pid, ("bookshelf.md", DOCUMENT.read_bytes()))).status_code == 201
    status = await generate(api, pid, engine="offline", timeout=180, app={"base_url": bookshelf.url, "max_pages": 8})
    assert status["status"] == "completed", status
    result = status["result"]
    app = result["app"]
    assert app["pages"] >= 4 and app["error"] is None
    assert any("/account/delete" in s and "destructive" in s for s in app["skipped"]) and bookshelf.deleted == 0
    assert app["executable"] >= 0.6 * result["cases"], (app, result["cases"])
    run, results = await _dry_run(api, pid, app["dry_run_id"])
    passed = [r for r in results if r["outcome"] == "passed"]
    assert len(results) == app["executable"] and len(passed) >= 0.9 * len(results), \
        [(r["key"], r["error"]) for r in results if r["outcome"] != "passed"]
    # every executable step targets an element the app has (nothing invented), and says where it was bound
    cases = (await api.get(f"/api/v1/projects/{pid}/cases", params={"limit": 200})).json()["items"]
    grounded = [c for c in cases if c["executable_steps"]]
    assert len(grounded) == app["executable"]
    search = next(c for c in grounded if c["title"].startswith("BK-2.2"))
    assert any(s["action"] == "fill" and (s.get("target") or {}).get("label") == "Title" and s.get("value") == "neuromancer"
               for s in search["executable_steps"]), search["executable_steps"]
    assert any("grounded in the live app: /search" in r for r in search["metadata"]["confidence_reasons"])

    # the same cases against the app with one behaviour broken: the case that checks it fails, the rest pass
    broken = BookshelfApp(broken="search-case")
    try:
        run, results = await run_and_wait(api, pid, case_ids=[c["id"] for c in grounded],
                                          environment={"base_url": broken.url}, timeout=180)
    finally:
        broken.close()
    failed = {r["case_id"] for r in results if r["outcome"] in ("failed", "error")}
    assert failed == {search["id"]}, [(r["key"], r["outcome"], r["error"]) for r in results if r["outcome"] != "passed"]


async def test_a_refused_app_url_is_a_clear_422_and_the_cli_reports_the_dry_run(
        stack: PlatformStack, api: httpx.AsyncClient, project: dict, bookshelf: BookshelfApp) -> None:
    pid = project["id"]
    refused = await api.post(f"/api/v1/projects/{pid}/generations",
                             json={"app": {"base_url": "http://169.254.169.254/latest/"}})
    assert refused.status_code == 422 and "refused" in refused.json()["message"]
    assert (await upload(api, pid, ("bookshelf.md", DOCUMENT.read_bytes()))).status_code == 201
    cli = cli_for(stack, timeout=300)
    done = cli("generate", "-p", pid, "--engine", "offline", "--base-url", bookshelf.url, "--pages", "6", "--wait",
               "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["app"]
    assert report["status"] == "completed" and report["verified"] >= 0.9 * report["executable"] > 0
    assert report["manual"] == json.loads(done.stdout)["cases"] - report["executable"]
    other = (await api.post("/api/v1/projects", params={"wait": "true"}, json={"name": "bookshelf, unverified"})).json()
    assert (await upload(api, other["id"], ("bookshelf.md", DOCUMENT.read_bytes()))).status_code == 201
    text = cli("generate", "-p", other["id"], "--engine", "offline", "--base-url", bookshelf.url, "--no-verify", "--wait")
    assert text.returncode == 0 and "page(s) mapped" in text.stdout and "not dry-run (--no-verify)" in text.stdout
