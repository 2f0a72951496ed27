"""The `cognitest` command against the running platform: JSON output and exit codes."""

import json
import os
import subprocess
import sys
import uuid

import pytest

from tests.support.cli import cli_for
from tests.support.stack import PlatformStack

pytestmark = pytest.mark.usefixtures("stack")


def cli(stack: PlatformStack, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return cli_for(stack, timeout=60)(*args, stdin=stdin)


def ok_json(result: subprocess.CompletedProcess):  # type: ignore[no-untyped-def]
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_resource_commands_mirror_the_api(stack: PlatformStack) -> None:
    project = ok_json(cli(stack, "projects", "create", "--name", "cli project", "--json"))
    pid = project["id"]
    plan = ok_json(cli(stack, "plans", "create", "-p", pid, "--name", "Plan", "--objective", "works", "--tag", "r1", "--json"))
    assert plan["objectives"] == ["works"] and plan["tags"] == ["r1"]
    suite = ok_json(cli(stack, "suites", "create", "-p", pid, "--name", "Suite", "--plan", plan["id"], "--json"))
    case = ok_json(cli(stack, "cases", "create", "-p", pid, "--title", "Login", "--suite", suite["id"], "--priority", "high",
                       "--step", "open /login => form shown", "--set", 'metadata={"owner": "qa"}', "--json"))
    assert case["steps"] == [{"action": "open /login", "expected": "form shown"}] and case["metadata"] == {"owner": "qa"}
    listed = ok_json(cli(stack, "cases", "list", "-p", pid, "--priority", "high", "--json"))
    assert [c["id"] for c in listed["items"]] == [case["id"]]
    updated = ok_json(cli(stack, "cases", "update", case["id"], "-p", pid, "--status", "ready", "--json"))
    assert updated["status"] == "ready" and updated["title"] == "Login"
    shown = ok_json(cli(stack, "cases", "show", case["id"], "-p", pid, "--json"))
    assert shown["status"] == "ready"
    issue = ok_json(cli(stack, "issues", "create", "-p", pid, "--title", "Broken", "--severity", "critical", "--case", case["id"], "--json"))
    assert issue["related_test_case_id"] == case["id"]
    collection = ok_json(cli(stack, "collections", "create", "-p", pid, "--body", "-", "--json",
                             stdin=json.dumps({"name": "API", "requests": [{"method": "GET", "url": "/x"}]})))
    assert collection["requests"] == [{"method": "GET", "url": "/x"}]
    deleted = ok_json(cli(stack, "cases", "delete", case["id"], "-p", pid, "--json"))
    assert deleted["deleted"] is True
    human = cli(stack, "plans", "list", "-p", pid)
    assert human.returncode == 0 and "Plan" in human.stdout


def test_exit_codes_and_messages(stack: PlatformStack) -> None:
    bad = cli(stack, "cases", "create", "-p", str(uuid.uuid4()), "--title", "x")
    assert bad.returncode == 2 and "not found" in bad.stderr and "Traceback" not in bad.stderr
    invalid = cli(stack, "projects", "create", "--name", "x", "--status", "sleeping")
    assert invalid.returncode == 2 and "status" in invalid.stderr
    usage = cli(stack, "cases", "list")
    assert usage.returncode == 2  # --project missing
    unreachable = cli(stack, "projects", "list", "--api", "http://127.0.0.1:9")
    assert unreachable.returncode == 3 and "cannot reach" in unreachable.stderr
    missing_field = cli(stack, "plans", "create", "-p", str(uuid.uuid4()))
    assert missing_field.returncode == 2 and "--name is required" in missing_field.stderr


def test_publish_and_dead_letters_from_the_cli(stack: PlatformStack) -> None:
    project = ok_json(cli(stack, "projects", "create", "--name", "pub", "--json"))
    data = json.dumps({"plan_id": str(uuid.uuid4()), "name": "published"})
    published = ok_json(cli(stack, "publish", "--type", "plan.created", "-p", project["id"], "--data", data, "--wait", "--json"))
    assert published["applied"] is True
    refused = cli(stack, "publish", "--type", "plan.created", "-p", project["id"], "--data", "{}")
    assert refused.returncode == 2 and "invalid plan.created event" in refused.stderr
    letters = ok_json(cli(stack, "events", "dlq", "list", "--json"))
    assert isinstance(letters["items"], list)
    missing = cli(stack, "events", "dlq", "redrive", "999999")
    assert missing.returncode == 2 and "no dead letter" in missing.stderr


def test_events_tail_follows_a_project(stack: PlatformStack) -> None:
    project = ok_json(cli(stack, "projects", "create", "--name", "tail", "--json"))
    env = {**os.environ, "COGNITEST_API": stack.api_url}
    tail = subprocess.Popen([sys.executable, "-m", "cognitest.producers.cli.main", "events", "tail", "-p", project["id"],
                             "--type", "plan.*", "--since", "1", "--count", "1", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    ok_json(cli(stack, "plans", "create", "-p", project["id"], "--name", "tailed", "--json"))
    out, err = tail.communicate(timeout=30)
    assert tail.returncode == 0, err
    event = json.loads(out.strip().splitlines()[0])
    assert event["type"] == "plan.created" and event["data"]["name"] == "tailed"


def test_schemas_export_and_asyncapi(stack: PlatformStack, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = cli(stack, "schemas", "export", str(tmp_path))
    assert result.returncode == 0, result.stderr
    index = json.loads((tmp_path / "index.json").read_text())
    assert {"plan.created", "run.case_finished", "workflow.completed"} <= {i["type"] for i in index}
    schema = json.loads((tmp_path / "plan.created.v1.json").read_text())
    assert "data" in schema["properties"] and schema["$id"] == "urn:cognitest:event:plan.created:v1"
    asyncapi = ok_json(cli(stack, "schemas", "asyncapi"))
    addresses = {c["address"] for c in asyncapi["channels"].values()}
    assert "cognitest.events.{project}.plan.created" in addresses
    assert len([a for a in addresses if a.startswith("cognitest.events.{project}.")]) == len(index)


def test_status_shows_health_and_consumer_lag(stack: PlatformStack) -> None:
    data = ok_json(cli(stack, "status", "--json"))
    assert data["ok"] is True and set(data["checks"]) == {"nats", "postgres", "temporal"}
    names = {c["name"] for c in data["consumers"]}
    assert {"projection", "project-bootstrap", "requirements", "generation"} <= names
    assert all(c["pending"] >= 0 for c in data["consumers"]) and isinstance(data["dead_letters"], int)
    human = cli(stack, "status")
    assert human.returncode == 0 and "projection" in human.stdout
    down = cli(stack, "status", "--api", "http://127.0.0.1:9")
    assert down.returncode == 3


def test_the_admin_creates_a_user_and_sets_a_forgotten_password(stack: PlatformStack) -> None:
    import httpx

    email = f"cli-{uuid.uuid4().hex[:8]}@example.com"
    created = ok_json(cli(stack, "users", "create", "--email", email, "--password-stdin", "--json",
                          stdin="first password\n"))
    assert created["email"] == email
    short = cli(stack, "users", "password", email, "--password-stdin", stdin="short\n")
    assert short.returncode != 0 and "at least 10 characters" in short.stderr + short.stdout
    assert "Traceback" not in short.stderr
    reset = cli(stack, "users", "password", email, "--password-stdin", stdin="second password\n")
    assert reset.returncode == 0 and f"password of {email} set" in reset.stdout, reset.stderr
    logins = [httpx.post(f"{stack.api_url}/api/v1/auth/login", json={"email": email, "password": p}).status_code
              for p in ("first password", "second password")]
    assert logins == [401, 200]
