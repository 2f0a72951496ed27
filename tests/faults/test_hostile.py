"""Hostile input at every entry point: each gets a clear 4xx (or exit code) with a message, nothing
crashes, and nothing half-written remains in the project."""

import io
import os
import subprocess
import sys
import uuid
import zipfile

import httpx
import pytest

from tests.conftest import bootstrapped
from tests.support.stack import PlatformStack

BOMB = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><testsuite>&lol2;</testsuite>'
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "0" * 30_000_000)
    return out.getvalue()


def json_cases(pid: str) -> list[tuple[str, str, object]]:
    """(method, path, body): bodies no route may accept."""
    p = f"/api/v1/projects/{pid}"
    ghost = str(uuid.uuid4())
    return [
        ("POST", "/api/v1/projects", []), ("POST", "/api/v1/projects", {"name": ""}),
        ("POST", "/api/v1/projects", {"name": "x" * 10_000}), ("POST", "/api/v1/projects", {"name": "nul \u0000 byte"}),
        ("POST", "/api/v1/projects", {"name": "ok", "surprise": True}),
        ("POST", f"{p}/cases", {"title": "t", "steps": "not a list"}), ("POST", f"{p}/cases", {"title": "t", "priority": "urgent!"}),
        ("POST", f"{p}/cases", {"title": "t", "suite_id": ghost}), ("POST", f"{p}/cases", {"title": ""}),
        ("POST", f"{p}/cases", {"title": "t", "executable_steps": [{"action": "teleport"}]}),
        ("POST", f"{p}/plans", {"name": None}), ("POST", f"{p}/suites", {"name": "s", "plan_id": "not-a-uuid"}),
        ("POST", f"{p}/issues", {"title": "i", "severity": "apocalyptic"}),
        ("PATCH", f"{p}/cases/{ghost}", {"title": "x"}), ("PATCH", f"{p}/cases/not-a-uuid", {"title": "x"}),
        ("POST", f"{p}/collections", {"name": "c", "requests": [{"method": "FETCH", "url": 3}]}),
        ("POST", "/api/v1/events", {"type": "plan.exploded", "subject": pid, "data": {}}),
        ("POST", "/api/v1/events", {"type": "plan.created", "subject": pid, "data": {"plan_id": "x"}}),
        ("POST", "/api/v1/events", {"type": "plan.created", "subject": "not-a-project", "data": {}}),
        ("POST", f"{p}/runs", {"name": "no target"}), ("POST", f"{p}/runs", {"suite_id": ghost, "browsers": ["netscape"]}),
        ("POST", f"{p}/generations", {"engine": "magic"}),
        ("POST", f"{p}/automations", {"name": "a", "graph": "not a graph"}),
        ("POST", f"{p}/automations", {"name": "a", "graph": {"nodes": [{"id": "Bad Id!", "type": "trigger.manual"}]}}),
        ("POST", f"{p}/automations", {"template": "nope"}),
        ("POST", f"{p}/automations/{ghost}/run", {}), ("POST", f"/api/v1/hooks/{pid}/{ghost}", {}),
        ("POST", f"{p}/executions/automation-nope/approval", {"approved": "maybe"}),
        ("POST", f"{p}/automations/{ghost}/schedule/explode", None),
    ]


async def test_hostile_http_requests_get_clear_4xx_and_write_nothing(stack: PlatformStack, api: httpx.AsyncClient,
                                                                    project: dict) -> None:
    pid = project["id"]
    await bootstrapped(api, pid)
    before = await footprint(api, pid)
    projects_before = (await api.get("/api/v1/projects", params={"limit": 500})).json()["total"]
    answers = []
    for method, path, body in json_cases(pid):
        answers.append((method, path, await api.request(method, path, json=body, params={"wait": "true"})))
    raw = [("POST", f"/api/v1/projects/{pid}/cases", b"{not json"), ("POST", "/api/v1/events", b"\x00\x01\x02"),
           ("POST", "/api/v1/events", b"x" * 2_000_000), ("POST", f"/api/v1/projects/{pid}/cases", b'{"title": "a\\u0000b"}')]
    for method, path, content in raw:
        answers.append((method, path, await api.request(method, path, content=content, headers={"content-type": "application/json"})))
    uploads = [("results", "files", "r.xml", BOMB), ("results", "files", "r.xml", b"<testsuite><testcase"),
               ("results", "files", "r.xml", b""), ("requirements", "files", "x.png", PNG),
               ("requirements", "files", "spec.docx", zip_bomb()), ("requirements", "files", "empty.md", b"   "),
               ("collections/import", "file", "c.json", b"[1, 2]"), ("collections/import", "file", "c.yaml", b"swagger: '2.0'"),
               ("collections/import", "file", "c.json", b'{"openapi": "3.0.0", "paths": {"/x": "nope"}}')]
    for route, field, name, data in uploads:
        path = f"/api/v1/projects/{pid}/{route}"
        answers.append(("POST", f"{path} ({name})", await api.post(path, files=[(field, (name, data))], params={"wait": "true"})))
    for params in ({"limit": -1}, {"limit": 100_000}, {"sort": "password"}, {"priority": "urgent!"}):
        answers.append(("GET", f"cases {params}", await api.get(f"/api/v1/projects/{pid}/cases", params=params)))
    failures = []
    for method, path, response in answers:
        ok = 400 <= response.status_code < 500 or (path.endswith("(empty.md)") and response.status_code in (200, 201))
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if not ok or "Traceback" in response.text or not (body.get("message") or body.get("documents")):
            failures.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
    assert not failures, "\n".join(failures)
    assert await footprint(api, pid) == before
    assert (await api.get("/api/v1/projects", params={"limit": 500})).json()["total"] == projects_before


async def footprint(api: httpx.AsyncClient, pid: str) -> dict[str, int]:
    out = {}
    for kind in ("plans", "suites", "cases", "issues", "collections", "automations", "runs", "documents"):
        body = (await api.get(f"/api/v1/projects/{pid}/{kind}", params={"limit": 500})).json()
        out[kind] = len([i for i in body["items"] if i.get("status") != "rejected"])
    return out


@pytest.mark.parametrize(("args", "code", "words"), [
    (["cases", "create"], 2, "project"),
    (["run", "-p", "{pid}"], 2, "a run needs"),
    (["cases", "create", "-p", "{pid}", "--title", "t", "--priority", "urgent!"], 2, "priority"),
    (["automations", "create", "-p", "00000000-0000-0000-0000-000000000000", "--file", "/no/such/graph.json"], 2, "cannot read"),
    (["report", "/no/such/report.xml", "-p", "00000000-0000-0000-0000-000000000000"], 2, ""),
    (["automations", "run", "x", "-p", "p", "--input", "{not json"], 2, "--input is not JSON"),
    (["projects", "list", "--api", "http://127.0.0.1:1"], 3, "cannot reach"),
])
async def test_hostile_cli_arguments_exit_with_a_message(stack: PlatformStack, project: dict, args: list[str], code: int,
                                                        words: str) -> None:
    args = [a.replace("{pid}", project["id"]) for a in args]
    result = subprocess.run([sys.executable, "-m", "cognitest.producers.cli.main", *args], capture_output=True, text=True,
                            timeout=60, env={**os.environ, "COGNITEST_API": stack.api_url})
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and result.stderr.strip()
    assert words.lower() in result.stderr.lower()

