"""CI results through the API and the CLI into runs, results and case history."""

import json
from pathlib import Path

import httpx

from tests.conftest import eventually
from tests.support.cli import cli_for
from tests.support.stack import PlatformStack

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "junit"


def report(content: bytes, name: str = "report.xml") -> list:
    return [("files", (name, content, "application/xml"))]


async def test_import_maps_results_to_cases_and_builds_history(stack: PlatformStack, api: httpx.AsyncClient, project: dict) -> None:
    pid = project["id"]
    files = [("files", (n, (FIXTURES / n).read_bytes(), "application/xml")) for n in ("pytest.xml", "surefire.xml", "go.xml")]
    first = await api.post(f"/api/v1/projects/{pid}/results", params={"wait": "true"}, files=files,
                           data={"run_name": "ci #1", "commit": "abc123", "branch": "main"})
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["totals"] == {"total": 11, "passed": 6, "failed": 3, "errors": 1, "skipped": 1, "flaky": 0, "manual": 0,
                              "unverified": 0, "untested": 0}
    assert body["cases_created"] == 11
    run = (await api.get(f"/api/v1/projects/{pid}/runs/{body['run_id']}")).json()
    assert run["status"] == "failed" and run["source"] == "imported" and run["commit"] == "abc123"
    assert run["totals"]["failed"] == 3
    failures = (await api.get(f"/api/v1/projects/{pid}/runs/{body['run_id']}/results", params={"outcome": "failed"})).json()
    assert {r["key"] for r in failures["items"]} == {"tests.test_login::test_login_wrong_password",
                                                     "com.shop.CheckoutTest::refusesExpiredCard", "orders::TestCancel"}
    suites = (await api.get(f"/api/v1/projects/{pid}/suites")).json()["items"]
    imported = next(s for s in suites if s["name"] == "Imported")
    cases = (await api.get(f"/api/v1/projects/{pid}/cases", params={"suite_id": imported["id"], "limit": 100})).json()
    assert cases["total"] == 11

    # the same tests again, flipping one: same cases, a second run, history and flakiness
    flipped = (FIXTURES / "pytest.xml").read_bytes().replace(b'name="test_login_ok" time="0.120" />',
                                                             b'name="test_login_ok" time="0.5"><failure message="x"/></testcase>')
    second = await api.post(f"/api/v1/projects/{pid}/results", params={"wait": "true"}, files=report(flipped, "pytest.xml"))
    assert second.status_code == 201 and second.json()["cases_created"] == 0
    third = await api.post(f"/api/v1/projects/{pid}/results", params={"wait": "true"},
                           files=report((FIXTURES / "pytest.xml").read_bytes(), "pytest.xml"))
    assert third.status_code == 201
    ok_case = next(c for c in cases["items"] if c["title"] == "test_login_ok")
    history = (await api.get(f"/api/v1/projects/{pid}/cases/{ok_case['id']}/history")).json()
    assert [r["outcome"] for r in history["results"]] == ["passed", "failed", "passed"]
    assert history["flips"] == 2 and history["flaky"] is True and history["pass_rate"] == round(2 / 3, 4)
    runs = (await api.get(f"/api/v1/projects/{pid}/runs")).json()["items"]
    assert len(runs) == 3 and runs[0]["id"] == third.json()["run_id"]


async def test_bad_reports_import_nothing(stack: PlatformStack, api: httpx.AsyncClient, project: dict) -> None:
    pid = project["id"]
    bomb = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><testsuite><testcase name="&b;"/></testsuite>'
    good = (FIXTURES / "gradle.xml").read_bytes()
    for files, words in ((report(b"<testsuite><testcase", "broken.xml"), "not well-formed"),
                         (report(good, "ok.xml") + report(bomb, "bomb.xml"), "declares entities")):
        r = await api.post(f"/api/v1/projects/{pid}/results", files=files)
        assert r.status_code == 422 and words in r.json()["message"]
    assert (await api.get(f"/api/v1/projects/{pid}/runs")).json()["items"] == []


def test_cli_report(stack: PlatformStack) -> None:
    cli = cli_for(stack, timeout=120)

    pid = json.loads(cli("projects", "create", "--name", "ci", "--json").stdout)["id"]
    out = cli("report", str(FIXTURES / "jest.xml"), str(FIXTURES / "gradle.xml"), "-p", pid, "--run-name", "web", "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert (summary["tests"], summary["passed"], summary["failed"], summary["errors"], summary["skipped"]) == (5, 3, 1, 0, 1)
    gate = cli("report", str(FIXTURES / "jest.xml"), "-p", pid, "--fail-on-failure")
    assert gate.returncode == 1 and "1 failed" in gate.stdout
    bad = cli("report", str(FIXTURES.parent / "login_spec.md"), "-p", pid)
    assert bad.returncode == 2 and "not well-formed" in bad.stderr


async def test_a_large_report_imports_in_bounded_batches(api: httpx.AsyncClient, project: dict) -> None:
    """More results than PostgreSQL takes bind parameters (32,767) in one statement."""
    n = 35_000
    cases = "".join(f'<testcase classname="b" name="t{i}"/>' for i in range(n))
    xml = f'<testsuites><testsuite name="big">{cases}</testsuite></testsuites>'.encode()
    # about 25 s on an idle 2-core machine: far more headroom than the client's default 30 s, and
    # the run is followed until it is complete instead of relying on the API's own wait
    r = await api.post(f"/api/v1/projects/{project['id']}/results", params={"wait": "true"}, files=report(xml, "big.xml"),
                       timeout=300)
    assert r.status_code in (201, 202), r.text
    assert r.json()["totals"]["total"] == n and r.json()["cases_created"] == n

    async def complete():
        got = await api.get(f"/api/v1/projects/{project['id']}/runs/{r.json()['run_id']}")
        return got.json() if got.status_code == 200 and got.json()["status"] == "completed" else None
    run = await eventually(complete, timeout=300, interval=1)
    assert run["totals"]["passed"] == n


async def test_the_same_report_twice_is_one_run_unless_forced(stack: PlatformStack, api: httpx.AsyncClient,
                                                              project: dict) -> None:
    pid = project["id"]
    content = (FIXTURES / "surefire.xml").read_bytes()
    first = await api.post(f"/api/v1/projects/{pid}/results", params={"wait": "true"}, files=report(content, "a.xml"))
    assert first.status_code == 201 and first.json()["duplicate"] is False
    again = await api.post(f"/api/v1/projects/{pid}/results", params={"wait": "true"}, files=report(content, "a.xml"))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["run_id"] == first.json()["run_id"] and again.json()["totals"] == first.json()["totals"]
    runs = (await api.get(f"/api/v1/projects/{pid}/runs")).json()["items"]
    assert [r["id"] for r in runs] == [first.json()["run_id"]]
    results = (await api.get(f"/api/v1/projects/{pid}/runs/{first.json()['run_id']}/results")).json()["items"]
    assert len(results) == first.json()["totals"]["total"]  # nothing doubled
    forced = await api.post(f"/api/v1/projects/{pid}/results", params={"wait": "true", "force": "true"},
                            files=report(content, "a.xml"))
    assert forced.status_code == 201 and forced.json()["run_id"] != first.json()["run_id"]
    assert len((await api.get(f"/api/v1/projects/{pid}/runs")).json()["items"]) == 2
    # the CLI says so
    path = stack.settings.data_dir / "again.xml"
    path.write_bytes(content)
    out = cli_for(stack)("report", str(path), "-p", pid)
    assert out.returncode == 0 and "already imported" in out.stdout, out.stdout + out.stderr
