"""Postman collections as QA teams write them, run with their scripts in Postman's own runtime
against real HTTP servers on 127.0.0.1: a restful-booker regression (pm.test, a token and a booking
id chained through the environment, `:id` path variables, collection and folder scripts, an
environment file) and the RealWorld "Conduit" collection (legacy `tests[...]`, `responseBody`,
`pm.globals`, `postman.setEnvironmentVariable`, collection variables)."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.booking_app import TOKEN, BookingApp
from tests.support.cli import cli_for
from tests.support.stack import PlatformStack

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "collections"


@pytest.fixture
def booker() -> Iterator[BookingApp]:
    app = BookingApp()
    yield app
    app.close()


def environment_file(tmp_path: Path, url: str, **changes: str | None) -> Path:
    exported = json.loads((FIXTURES / "restful-booker.postman_environment.json").read_text())
    for value in exported["values"]:
        value["value"] = url if value["key"] == "baseURL" else value["value"]
    exported["values"] = [v for v in exported["values"] if changes.get(v["key"], "keep") is not None]
    path = tmp_path / "local.postman_environment.json"
    path.write_text(json.dumps(exported))
    return path


def results_of(cli, pid: str, run_id: str) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    shown = json.loads(cli("runs", "show", run_id, "-p", pid, "--json").stdout)
    return {r["key"]: r for r in shown["results"]}


def test_a_qa_teams_collection_runs_with_its_scripts_and_fails_when_the_server_does(
        stack: PlatformStack, booker: BookingApp, tmp_path: Path) -> None:
    cli = cli_for(stack, timeout=300)
    pid = json.loads(cli("projects", "create", "--name", "booker", "--json").stdout)["id"]
    imported = json.loads(cli("collections", "import", str(FIXTURES / "restful-booker.postman_collection.json"),
                              "-p", pid, "--json").stdout)
    assert imported["requests"] == 9 and imported["skipped"] == []  # nothing dropped: every script is run
    env = environment_file(tmp_path, booker.url)

    ran = cli("run", "-p", pid, "--collection", imported["collection_id"], "--env", str(env), "--wait", "--json")
    outcome = json.loads(ran.stdout)
    assert ran.returncode == 0 and outcome["status"] == "completed", ran.stdout + ran.stderr
    assert outcome["totals"]["passed"] == 9 and outcome["totals"]["total"] == 9
    # what the server saw: the chained token and booking id, the filled body, the collection's header
    writes = [(method, path, headers) for method, path, headers, _ in booker.seen if method in ("PUT", "PATCH", "DELETE")]
    assert [(m, p) for m, p, _ in writes] == [("PUT", "/booking/2"), ("PATCH", "/booking/2"), ("DELETE", "/booking/2")]
    assert all(h["cookie"] == f"token={TOKEN}" for _, _, h in writes)
    created = next(json.loads(body) for method, path, _, body in booker.seen if (method, path) == ("POST", "/booking"))
    assert "{{" not in json.dumps(created) and created["lastname"] == "Tester" and 100 <= created["totalprice"] <= 500
    assert all(len(h.get("x-request-id", "")) == 36 for _, _, h, _ in booker.seen)  # the collection's pre-request script
    results = results_of(cli, pid, outcome["run_id"])
    checks = [e for e in results["Booking / Create booking"]["log"] if "test" in e]
    # the request's four pm.tests, the folder's and the collection's: each its own check
    assert {e["test"] for e in checks} == {"Status code is 200", "Booking has an id", "First name is what was sent",
                                           "Total price is a number", "Content-Type is present",
                                           "Response time is acceptable"}
    assert all(e["ok"] for e in checks)

    # the same collection against a bad deploy that answers 404: failed, with Postman's own message
    booker.broken = True
    failing = cli("run", "-p", pid, "--collection", imported["collection_id"], "--env", str(env), "--wait", "--json")
    assert failing.returncode == 1, failing.stdout
    outcome = json.loads(failing.stdout)
    assert outcome["status"] == "failed" and outcome["totals"]["failed"] == 1
    got = results_of(cli, pid, outcome["run_id"])["Booking / Get booking"]
    assert got["outcome"] == "failed"
    assert "'Status code is 200': expected response to have status code 200 but got 404" in got["error"]
    assert {(e["test"], e["ok"]) for e in got["log"] if "test" in e} >= {("Status code is 200", False),
                                                                          ("Response time is acceptable", True)}


def test_an_unresolved_variable_is_an_error_and_nothing_is_sent(stack: PlatformStack, booker: BookingApp,
                                                                tmp_path: Path) -> None:
    cli = cli_for(stack, timeout=300)
    pid = json.loads(cli("projects", "create", "--name", "booker-unset", "--json").stdout)["id"]
    imported = json.loads(cli("collections", "import", str(FIXTURES / "restful-booker.postman_collection.json"),
                              "-p", pid, "--json").stdout)
    env = environment_file(tmp_path, booker.url, username=None, password=None)  # exported without the credentials
    ran = cli("run", "-p", pid, "--collection", imported["collection_id"], "--env", str(env), "--wait", "--json")
    assert ran.returncode == 1
    results = results_of(cli, pid, json.loads(ran.stdout)["run_id"])
    token = results["Auth / Create token"]
    assert token["outcome"] == "failed" and "unresolved variable(s)" in token["error"]
    assert "{{username}}" in token["error"] and "{{password}}" in token["error"]
    assert not any(path == "/auth" for _, path, _, _ in booker.seen)
    # the writes need the token nobody got: refused by the server, reported failed, never passed
    assert results["Booking / Update booking"]["outcome"] == "failed"


def test_the_conduit_collection_in_legacy_syntax_and_a_request_with_no_check(stack: PlatformStack,
                                                                            booker: BookingApp, tmp_path: Path) -> None:
    cli = cli_for(stack, timeout=300)
    pid = json.loads(cli("projects", "create", "--name", "conduit", "--json").stdout)["id"]
    imported = json.loads(cli("collections", "import", str(FIXTURES / "conduit.postman_collection.json"),
                              "-p", pid, "--json").stdout)
    env = tmp_path / "conduit.json"
    env.write_text(json.dumps({"variables": {"APIURL": f"{booker.url}/api"}}))  # Cognitest's own environment shape
    ran = cli("run", "-p", pid, "--collection", imported["collection_id"], "--env", str(env), "--wait", "--json")
    outcome = json.loads(ran.stdout)
    assert outcome["status"] == "completed", ran.stdout
    # four requests checked and passed; the one with no check at all is counted apart, never as passed
    assert outcome["totals"]["passed"] == 4 and outcome["totals"]["unverified"] == 1, outcome
    results = results_of(cli, pid, outcome["run_id"])
    assert results["Articles / All Articles (no checks)"]["outcome"] == "unverified"
    assert "no assertion" in results["Articles / All Articles (no checks)"]["error"]
    login = [e for e in results["Auth / Login"]["log"] if "test" in e]
    assert len(login) == 5 and all(e["ok"] for e in login)  # tests[...] assignments, each a check
    # the token went through pm.globals, the slug through a collection variable
    assert any(path == "/api/articles/how-to-train-your-dragon" for _, path, _, _ in booker.seen)
    human = cli("run", "-p", pid, "--collection", imported["collection_id"], "--env", str(env), "--wait")
    assert "NO CHECK" in human.stdout and "1 unverified" in human.stdout
