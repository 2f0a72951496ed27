"""Runs through the execution consumer: real Chromium, a real HTTP API, the guard, retries,
cancellation, manual cases and artifacts, against a demo app served by the test."""

import json
import uuid

import httpx

from tests.conftest import eventually
from tests.support.demo_app import DemoApp
from tests.support.cli import cli_for
from tests.support.stack import PlatformStack


async def make_case(api: httpx.AsyncClient, pid: str, suite: str, title: str, steps: list) -> dict:  # type: ignore[type-arg]
    r = await api.post(f"/api/v1/projects/{pid}/cases", params={"wait": "true"},
                       json={"title": title, "suite_id": suite, "executable_steps": steps})
    assert r.status_code == 201, r.text
    return r.json()


async def run_and_wait(api: httpx.AsyncClient, pid: str, timeout: float = 120, **body) -> tuple[dict, list]:  # type: ignore[no-untyped-def]
    r = await api.post(f"/api/v1/projects/{pid}/runs", json=body)
    assert r.status_code == 202, r.text
    run_id = r.json()["resource_id"]

    async def ended():
        got = await api.get(f"/api/v1/projects/{pid}/runs/{run_id}")
        return got.json() if got.status_code == 200 and got.json()["status"] in ("completed", "failed", "cancelled",
                                                                                 "awaiting_manual") else None
    run = await eventually(ended, timeout=timeout, interval=0.3)
    results = (await api.get(f"/api/v1/projects/{pid}/runs/{run_id}/results")).json()["items"]
    return run, results


async def suite_of(api: httpx.AsyncClient, pid: str, name: str) -> str:
    return (await api.post(f"/api/v1/projects/{pid}/suites", params={"wait": "true"}, json={"name": name})).json()["id"]


LOGIN = [{"action": "goto", "url": "/login"},
         {"action": "fill", "target": {"label": "Email"}, "value": "user@example.com"},
         {"action": "fill", "target": {"label": "Password"}, "value": "{{password}}"},
         {"action": "click", "target": {"role": "button", "name": "Log in"}}]


async def test_web_run_in_chromium_with_failure_artifacts(api: httpx.AsyncClient, project: dict, demo: DemoApp) -> None:
    pid = project["id"]
    suite = await suite_of(api, pid, "Web")
    ok = await make_case(api, pid, suite, "login works", LOGIN + [{"action": "expect_text", "text": "Welcome back"}])
    wrong = await make_case(api, pid, suite, "login shows the dashboard", LOGIN[:2] + [
        {"action": "fill", "target": {"label": "Password"}, "value": "nope"}, LOGIN[3],
        {"action": "expect_text", "text": "Welcome back"}])
    listing = await make_case(api, pid, suite, "three products", [{"action": "goto", "url": "/list"},
                                                                  {"action": "expect_count", "target": {"test_id": "product"}, "count": 3},
                                                                  {"action": "expect_title", "text": "Products"}])
    broken = await make_case(api, pid, suite, "broken page still shows the total", [
        {"action": "goto", "url": "/broken"}, {"action": "expect_text", "target": {"css": "p"}, "text": "Total: 90 EUR"}])
    manual = (await api.post(f"/api/v1/projects/{pid}/cases", params={"wait": "true"},
                             json={"title": "check the invoice by hand", "suite_id": suite})).json()
    run, results = await run_and_wait(api, pid, suite_id=suite, environment={"base_url": demo.url,
                                                                           "variables": {"password": "Str0ng!Passw0rd"}},
                                      parallelism=2)
    by_case = {r["case_id"]: r for r in results}
    # a case is left to do by hand: the run waits for it (its automated failure already shows in the totals)
    assert run["status"] == "awaiting_manual" and run["totals"]["passed"] == 3 and run["totals"]["failed"] == 1
    assert run["totals"]["manual"] == 1 and by_case[manual["id"]]["outcome"] == "manual"
    held = await api.post(f"/api/v1/projects/{pid}/runs/{run['id']}/cancel")  # nothing left to execute
    assert held.status_code == 409 and "record its manual cases" in held.json()["message"]
    assert by_case[ok["id"]]["outcome"] == "passed" and by_case[listing["id"]]["outcome"] == "passed"
    failed = by_case[wrong["id"]]
    assert failed["outcome"] == "failed" and "step 5 (expect_text)" in failed["error"]
    detail = (await api.get(f"/api/v1/projects/{pid}/cases/{wrong['id']}/history")).json()["results"][0]
    assert detail["outcome"] == "failed"
    run_rows = await api.get(f"/api/v1/projects/{pid}/runs/{run['id']}/results", params={"outcome": "failed"})
    assert run_rows.status_code == 200
    assert broken["id"] in by_case and by_case[broken["id"]]["outcome"] == "passed"
    history = (await api.get(f"/api/v1/projects/{pid}/cases/{broken['id']}/history")).json()
    assert history["results"][0]["outcome"] == "passed"


async def test_artifacts_and_browser_log(stack: PlatformStack, api: httpx.AsyncClient, project: dict, demo: DemoApp) -> None:
    from sqlalchemy import select

    from cognitest.infra.db import models as m

    pid = project["id"]
    suite = await suite_of(api, pid, "Artifacts")
    failing = await make_case(api, pid, suite, "fails", [{"action": "goto", "url": "/broken"},
                                                         {"action": "expect_visible", "target": {"text": "Paid"}}])
    run, _ = await run_and_wait(api, pid, suite_id=suite, environment={"base_url": demo.url})
    async with stack.sessions()() as session:
        row = (await session.scalars(select(m.RunResult).where(m.RunResult.run_id == uuid.UUID(str(run["id"]))))).one()
    kinds = {a["kind"] for a in row.artifacts}
    assert kinds == {"screenshot", "trace"} and row.test_case_id == uuid.UUID(failing["id"])
    log_text = json.dumps(row.log)
    assert "payment widget failed to load" in log_text and "undefinedFunction" in log_text
    for artifact in row.artifacts:
        r = await api.get(f"/api/v1/projects/{pid}/artifacts", params={"ref": artifact["ref"]})
        assert r.status_code == 200
        assert r.content.startswith(b"\x89PNG" if artifact["kind"] == "screenshot" else b"PK")
    other = (await api.post("/api/v1/projects", params={"wait": "true"}, json={"name": "other"})).json()
    assert (await api.get(f"/api/v1/projects/{other['id']}/artifacts", params={"ref": row.artifacts[0]["ref"]})).status_code == 404


async def test_api_collection_with_chaining_and_assertions(api: httpx.AsyncClient, project: dict, demo: DemoApp) -> None:
    pid = project["id"]
    collection = (await api.post(f"/api/v1/projects/{pid}/collections", params={"wait": "true"}, json={
        "name": "Orders", "environment": {"base_url": demo.url},
        "requests": [
            {"name": "list products", "method": "GET", "url": "{{base_url}}/api/products",
             "assert": {"status": 200, "json": {"$.items[0].name": "Lamp"}}},
            {"name": "create order", "method": "POST", "url": "/api/orders", "body": {"sku": "A1", "qty": 2},
             "save": {"order_id": "$.id"}, "assert": {"status": 201, "schema": {
                 "type": "object", "required": ["id", "sku"], "properties": {"qty": {"type": "integer"}}}}},
            {"name": "read it back", "method": "GET", "url": "/api/orders/{{order_id}}",
             "assert": {"status": 200, "json": {"$.qty": 2}, "headers": {"content-type": "application/json"}}},
        ]})).json()
    run, results = await run_and_wait(api, pid, collection_id=collection["id"])
    assert run["status"] == "completed", results
    assert [r["outcome"] for r in results] == ["passed"] * 3
    broken = (await api.post(f"/api/v1/projects/{pid}/collections", params={"wait": "true"}, json={
        "name": "Broken", "environment": {"base_url": demo.url},
        "requests": [{"name": "missing sku", "method": "POST", "url": "/api/orders", "body": {}, "assert": {"status": 201}}]})).json()
    run, results = await run_and_wait(api, pid, collection_id=broken["id"])
    assert run["status"] == "failed" and "expected status 201, got 422" in results[0]["error"]


async def test_a_request_with_an_unresolved_variable_fails_instead_of_passing(api: httpx.AsyncClient, project: dict,
                                                                               demo: DemoApp) -> None:
    """The Postman collection that "passed" against a server answering 404: its token and booking
    id were never set, so the server saw `/booking/:id` and `{{token}}`. Now nothing is sent."""
    pid = project["id"]
    collection = (await api.post(f"/api/v1/projects/{pid}/collections", params={"wait": "true"}, json={
        "name": "Bookings", "environment": {"base_url": demo.url},
        "requests": [
            {"name": "read a booking", "method": "GET", "url": "/api/orders/:id", "assert": {"status": 404}},
            {"name": "with a token", "method": "GET", "url": "/api/products", "headers": {"Cookie": "token={{token}}"},
             "assert": {"status": 200}},
            {"name": "create", "method": "POST", "url": "/api/orders", "body": {"sku": "{{sku_env}}"},
             "assert": {"status": 201}},
            {"name": "dynamic ids are filled", "method": "POST", "url": "/api/orders", "body": {"sku": "{{$guid}}"},
             "assert": {"status": 201}},
        ]})).json()
    run, results = await run_and_wait(api, pid, collection_id=collection["id"])
    by_name = {r["key"]: r for r in results}
    assert run["status"] == "failed" and run["totals"]["passed"] == 1, results
    for name, missing in (("read a booking", ":id"), ("with a token", "{{token}}"), ("create", "{{sku_env}}")):
        result = next(r for key, r in by_name.items() if name in (key or ""))
        assert result["outcome"] == "failed" and f"unresolved variable(s) {missing}" in result["error"], result
    dynamic = next(r for key, r in by_name.items() if "dynamic" in (key or ""))
    assert dynamic["outcome"] == "passed"
    sent = next(entry for entry in dynamic["log"] if "request" in entry)  # what was sent and answered
    assert sent["status"] == 201 and sent["final_url"].endswith("/api/orders") and '"sku"' in sent["body"]
    assert sent["ms"] >= 0 and sent["request"].startswith("POST ")


async def test_retries_mark_flaky_and_the_guard_blocks_metadata(api: httpx.AsyncClient, project: dict, demo: DemoApp) -> None:
    pid = project["id"]
    suite = await suite_of(api, pid, "Guard")
    flaky = await make_case(api, pid, suite, "eventually ready", [
        {"action": "goto", "url": "/flaky"}, {"action": "expect_text", "target": {"css": "#p"}, "text": "ready"}])
    redirect = await make_case(api, pid, suite, "follows a redirect to metadata", [
        {"action": "request", "url": "/redirect-metadata"}, {"action": "expect_status", "status": 200}])
    direct = await make_case(api, pid, suite, "metadata directly", [{"action": "goto", "url": "http://169.254.169.254/"}])
    run, results = await run_and_wait(api, pid, suite_id=suite, environment={"base_url": demo.url}, retries=2)
    by_case = {r["case_id"]: r for r in results}
    assert by_case[flaky["id"]]["outcome"] == "flaky" and by_case[flaky["id"]]["attempts"] == 2
    for case in (redirect, direct):
        assert by_case[case["id"]]["outcome"] == "error"
        assert "metadata or link-local" in by_case[case["id"]]["error"]
        assert by_case[case["id"]]["attempts"] == 1  # a refusal is not retried
    assert run["status"] == "failed" and run["totals"]["flaky"] == 1


async def test_cancel_stops_a_run(api: httpx.AsyncClient, project: dict, demo: DemoApp) -> None:
    pid = project["id"]
    suite = await suite_of(api, pid, "Slow")
    for i in range(6):
        await make_case(api, pid, suite, f"slow {i}", [{"action": "request", "url": "/slow"}, {"action": "expect_status", "status": 200}])
    r = await api.post(f"/api/v1/projects/{pid}/runs", json={"suite_id": suite, "environment": {"base_url": demo.url}})
    run_id = r.json()["resource_id"]

    async def running():
        got = await api.get(f"/api/v1/projects/{pid}/runs/{run_id}")
        return got.status_code == 200 and got.json()["status"] == "running"
    await eventually(running)
    assert (await api.post(f"/api/v1/projects/{pid}/runs/{run_id}/cancel")).status_code == 202

    async def ended():
        got = (await api.get(f"/api/v1/projects/{pid}/runs/{run_id}")).json()
        return got if got["status"] in ("cancelled", "completed", "failed") else None
    run = await eventually(ended, timeout=30)
    assert run["status"] == "cancelled" and run["totals"]["passed"] < 6
    assert (await api.post(f"/api/v1/projects/{pid}/runs/{run_id}/cancel")).status_code == 409


async def test_generated_cases_run_against_the_app(api: httpx.AsyncClient, project: dict, demo: DemoApp) -> None:
    pid = project["id"]
    spec = (b"# Shop\n## Sign-in\nSI-1: Customers shall sign in on the /login page with their email and password "
            b'and click "Log in".\nGiven a registered customer\nWhen they sign in\nThen the page shows "Welcome back"\n')
    r = await api.post(f"/api/v1/projects/{pid}/requirements", params={"wait": "true"}, files=[("files", ("s.md", spec))])
    assert r.json()["documents"][0]["status"] == "parsed"
    gen = await api.post(f"/api/v1/projects/{pid}/generations", json={"engine": "offline"})
    gid = gen.json()["resource_id"]

    async def done():
        s = (await api.get(f"/api/v1/projects/{pid}/generations/{gid}"))
        return s.json() if s.status_code == 200 and s.json()["status"] == "completed" else None
    status = await eventually(done, timeout=60)
    cases = (await api.get(f"/api/v1/projects/{pid}/cases", params={"tag": "functional"})).json()["items"]
    runnable = [c for c in cases if c["executable_steps"]]
    assert runnable, cases
    run, results = await run_and_wait(api, pid, case_ids=[c["id"] for c in runnable], environment={"base_url": demo.url})
    assert [r["outcome"] for r in results] == ["passed"], results
    assert status["result"]["plan_id"]


def test_cli_run_is_a_ci_gate(stack: PlatformStack, demo: DemoApp) -> None:
    cli = cli_for(stack, timeout=180)

    pid = json.loads(cli("projects", "create", "--name", "gate", "--json").stdout)["id"]
    suite = json.loads(cli("suites", "create", "-p", pid, "--name", "S", "--json").stdout)["id"]
    body = json.dumps({"title": "products", "suite_id": suite, "executable_steps": [
        {"action": "request", "url": "/api/products"}, {"action": "expect_status", "status": 200}]})
    created = cli("cases", "create", "-p", pid, "--body", "-", "--json", stdin=body)
    assert created.returncode == 0, created.stderr
    passed = cli("run", "-p", pid, "--suite", suite, "--base-url", demo.url, "--wait", "--json")
    assert passed.returncode == 0, passed.stderr
    assert json.loads(passed.stdout)["status"] == "completed"
    failing = cli("run", "-p", pid, "--suite", suite, "--base-url", demo.url + "/nothing-here", "--wait")
    assert failing.returncode == 1 and "FAIL" in failing.stdout


def test_cli_imports_openapi_and_postman_then_runs_the_collection(stack: PlatformStack, demo: DemoApp) -> None:
    from pathlib import Path

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "collections"
    cli = cli_for(stack, timeout=180)

    pid = json.loads(cli("projects", "create", "--name", "apis", "--json").stdout)["id"]
    imported = cli("collections", "import", str(fixtures / "orders.openapi.yaml"), "-p", pid, "--json")
    assert imported.returncode == 0, imported.stderr
    result = json.loads(imported.stdout)
    assert result["requests"] == 5 and result["skipped"] == [
        {"name": "legacyXml", "reason": "request body type application/xml is not supported"}]  # listed, with why
    postman = json.loads(cli("collections", "import", str(fixtures / "shop.postman_collection.json"), "-p", pid, "--json").stdout)
    assert postman["requests"] == 2 and len(postman["skipped"]) == 2  # each with its reason
    run = cli("run", "-p", pid, "--collection", result["collection_id"], "--base-url", demo.url, "--wait", "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(run.stdout)["totals"]["passed"] == 5  # the multipart upload and the raw bytes included
    # the Postman request runs its test script (and the collection's pre-request one, which sets the
    # currency); the request nothing checks is counted apart, not passed
    env = Path(stack.settings.data_dir) / "shop-env.json"
    env.write_text(json.dumps({"variables": {"base_url": demo.url}}))
    scripted = cli("run", "-p", pid, "--collection", postman["collection_id"], "--env", str(env), "--wait", "--json")
    totals = json.loads(scripted.stdout)["totals"]
    assert scripted.returncode == 0 and (totals["passed"], totals["unverified"]) == (1, 1), scripted.stdout
    refused = cli("collections", "import", str(fixtures.parent / "login_spec.md"), "-p", pid)
    assert refused.returncode == 2 and "neither JSON nor YAML" in refused.stderr


def test_manual_case_recorded_from_the_cli(stack: PlatformStack, demo: DemoApp) -> None:
    cli = cli_for(stack, timeout=180)

    pid = json.loads(cli("projects", "create", "--name", "manual", "--json").stdout)["id"]
    suite = json.loads(cli("suites", "create", "-p", pid, "--name", "By hand", "--json").stdout)["id"]
    case = json.loads(cli("cases", "create", "-p", pid, "--suite", suite, "--title", "check the invoice", "--json").stdout)["id"]
    waited = cli("run", "-p", pid, "--suite", suite, "--wait", "--json")
    ran = json.loads(waited.stdout)
    # all manual: not "completed" at once, but waiting for a person (and no failure for the pipeline)
    assert ran["status"] == "awaiting_manual" and ran["totals"]["manual"] == 1 and waited.returncode == 0
    recorded = cli("runs", "record", ran["run_id"], "-p", pid, "--case", case, "--outcome", "failed",
                   "--comment", "total is wrong", "--json")
    assert recorded.returncode == 0, recorded.stderr
    shown = json.loads(cli("runs", "show", ran["run_id"], "-p", pid, "--json").stdout)
    # one row per case (its latest result), the totals updated at once, the run decided
    assert [(r["outcome"], r["error"]) for r in shown["results"]] == [("failed", "total is wrong")]
    assert shown["status"] == "failed" and shown["totals"]["failed"] == 1 and shown["totals"]["manual"] == 0
    listed = json.loads(cli("runs", "list", "-p", pid, "--json").stdout)["items"]
    assert [r["id"] for r in listed] == [ran["run_id"]]


def test_a_person_closes_a_run_and_the_manual_cases_left_are_untested(stack: PlatformStack) -> None:
    cli = cli_for(stack, timeout=180)
    pid = json.loads(cli("projects", "create", "--name", "closing", "--json").stdout)["id"]
    suite = json.loads(cli("suites", "create", "-p", pid, "--name", "Regression", "--json").stdout)["id"]
    cases = [json.loads(cli("cases", "create", "-p", pid, "--suite", suite, "--title", title, "--json").stdout)["id"]
             for title in ("refund by card", "refund by voucher", "refund to wallet")]
    ran = json.loads(cli("run", "-p", pid, "--suite", suite, "--wait", "--json").stdout)
    assert ran["status"] == "awaiting_manual" and ran["totals"]["manual"] == 3
    assert cli("runs", "record", ran["run_id"], "-p", pid, "--case", cases[0], "--outcome", "passed").returncode == 0
    closed = cli("runs", "close", ran["run_id"], "-p", pid, "--reason", "release cut-off", "--json")
    assert closed.returncode == 0 and json.loads(closed.stdout)["untested"] == 2, closed.stdout + closed.stderr
    shown = json.loads(cli("runs", "show", ran["run_id"], "-p", pid, "--json").stdout)
    # the two left are untested (counted apart, with the reason), the run decided by what was recorded
    assert shown["status"] == "completed"
    assert (shown["totals"]["passed"], shown["totals"]["untested"], shown["totals"]["manual"]) == (1, 2, 0)
    assert sorted((r["outcome"], r["error"]) for r in shown["results"]) == [
        ("passed", None), ("untested", "release cut-off"), ("untested", "release cut-off")]
    again = cli("runs", "close", ran["run_id"], "-p", pid)  # no longer waiting: nothing to close
    assert again.returncode != 0 and "only a run awaiting manual results can be closed" in again.stderr


async def test_api_runner_against_a_fastapi_service(api: httpx.AsyncClient, project: dict) -> None:
    """Chaining a token into a header, then an id into a path, against a real FastAPI app."""
    from tests.support.api_app import ApiApp

    service = ApiApp()
    try:
        pid = project["id"]
        collection = (await api.post(f"/api/v1/projects/{pid}/collections", params={"wait": "true"}, json={
            "name": "Items", "environment": {"base_url": service.url},
            "requests": [
                {"name": "log in", "method": "POST", "url": "/token", "save": {"token": "$.access_token"},
                 "assert": {"status": 200}},
                {"name": "create", "method": "POST", "url": "/items", "headers": {"Authorization": "Bearer {{token}}"},
                 "body": {"name": "Lamp", "price": 19.5}, "save": {"item_id": "$.id"},
                 "assert": {"status": 201, "json": {"$.name": "Lamp"}}},
                {"name": "read", "method": "GET", "url": "/items/{{item_id}}",
                 "assert": {"status": 200, "json": {"$.price": 19.5}, "schema": {"type": "object", "required": ["id", "name"]}}},
                {"name": "unauthenticated", "method": "POST", "url": "/items", "body": {"name": "x", "price": 1},
                 "assert": {"status": 401}},
            ]})).json()
        run, results = await run_and_wait(api, pid, collection_id=collection["id"])
        assert run["status"] == "completed", results
        assert [r["outcome"] for r in results] == ["passed"] * 4
    finally:
        service.close()


async def test_queued_runs_wait_without_being_redelivered(stack: PlatformStack, api: httpx.AsyncClient, project: dict,
                                                         demo: DemoApp) -> None:
    """Runs queue behind a long one; none is picked up twice while it waits (ack_wait is 4 s here)."""
    pid = project["id"]
    suite = await suite_of(api, pid, "Queue")
    for i in range(3):
        await make_case(api, pid, suite, f"slow {i}", [{"action": "request", "url": "/slow"}, {"action": "expect_status", "status": 200}])
    run_ids = [(await api.post(f"/api/v1/projects/{pid}/runs", json={"suite_id": suite, "environment": {"base_url": demo.url}})).json()["resource_id"]
               for _ in range(3)]

    async def all_ended():
        states = [(await api.get(f"/api/v1/projects/{pid}/runs/{r}")).json().get("status") for r in run_ids]
        return states if all(s in ("completed", "failed", "cancelled") for s in states) else None
    states = await eventually(all_ended, timeout=120, interval=0.5)
    assert states == ["completed"] * 3
    info = await stack.consumer_info("execution")
    assert info.num_redelivered == 0 and info.num_ack_pending == 0
