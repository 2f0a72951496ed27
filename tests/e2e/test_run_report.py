"""A run as a report for someone without an account: one HTML file with no script and no network
request (checked by opening it in Chromium with the network refused), the totals drawn and listed,
what changed since the run before, every result with its error, no run variables; the CLI saves it
as HTML and prints it to a real PDF."""

import re
from pathlib import Path

import httpx

from tests.integration.test_triage_alerting import junit
from tests.support.cli import cli_for
from tests.support.stack import PlatformStack


async def _import(api: httpx.AsyncClient, pid: str, name: str, cases: dict[str, str | None]) -> str:
    r = await api.post(f"/api/v1/projects/{pid}/results", params={"wait": "true"}, data={"run_name": name},
                       files=[("files", ("report.xml", junit(cases), "application/xml"))])
    assert r.status_code == 201, r.text
    return r.json()["run_id"]


async def test_a_run_report_is_one_self_contained_file(stack: PlatformStack, api: httpx.AsyncClient, project: dict,
                                                        browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pid = project["id"]
    await _import(api, pid, "build 41", {"pays": None, "ships": "AssertionError: 500 from /ship", "refunds": None})
    head = await _import(api, pid, "build 42", {"pays": "AssertionError: card declined &lt;script&gt;x&lt;/script&gt;",
                                                "ships": None, "refunds": None})
    r = await api.get(f"/api/v1/projects/{pid}/runs/{head}/report")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-disposition"].startswith('attachment; filename="cognitest-run-build-42.html"')
    html = r.text
    assert "<script" not in html.replace("&lt;script&gt;", "")  # the error's markup is escaped, and no script of ours
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing loaded from anywhere
    assert "card declined" in html and "1 newly failing" in html and "1 fixed" in html
    assert "Results by outcome: 1 failed, 2 passed" in html  # the chart's text alternative
    assert (await api.get(f"/api/v1/projects/{pid}/runs/00000000-0000-4000-8000-000000000000/report")).status_code == 404

    # opened offline in a browser: every request but the page itself is refused, and none is made
    context = await browser.new_context(offline=True)
    page = await context.new_page()
    requested: list[str] = []
    page.on("request", lambda req: requested.append(req.url))
    await page.set_content(html)
    assert await page.get_by_role("heading", name=re.compile("build 42")).is_visible()
    assert requested == [] and await page.locator("svg[role=img] title").count() == 1
    shots = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"
    shots.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(shots / "run-report.png"), full_page=True)
    await context.close()

    cli = cli_for(stack, timeout=180)
    saved = cli("runs", "report", head, "-p", pid, "-o", str(tmp_path / "r.html"))
    assert saved.returncode == 0, saved.stderr
    written = (tmp_path / "r.html").read_text()
    assert written.startswith("<!doctype html>") and "card declined" in written and saved.stdout.strip() == str(tmp_path / "r.html")
    printed = cli("runs", "report", head, "-p", pid, "--pdf", "-o", str(tmp_path / "r.pdf"))
    assert printed.returncode == 0, printed.stderr
    pdf = (tmp_path / "r.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 5000
    missing = cli("runs", "report", "00000000-0000-4000-8000-000000000000", "-p", pid)
    assert missing.returncode == 2 and "not found" in missing.stderr
