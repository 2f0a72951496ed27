"""Publish -> projected -> read through the API, for every resource type, against real services."""

import uuid

import httpx
import pytest

from tests.conftest import eventually
from tests.support.people import create_user

BODIES = {
    "plans": {"name": "Checkout plan", "objectives": ["pay"], "tags": ["release"]},
    "suites": {"name": "Checkout", "tags": ["checkout"]},
    "cases": {"title": "Pay by card", "priority": "high", "steps": [{"action": "pay", "expected": "ok"}], "tags": ["smoke"]},
    "issues": {"title": "Card declined wrongly", "severity": "critical", "tags": ["payments"]},
    "collections": {"name": "Shop API", "requests": [{"method": "GET", "url": "/products"}], "environment": {"base": "x"}},
}
UPDATES = {
    "plans": ({"name": "Renamed plan"}, "name"),
    "suites": ({"name": "Renamed suite"}, "name"),
    "cases": ({"title": "Pay by card (3DS)", "status": "ready"}, "title"),
    "issues": ({"status": "in_progress", "severity": "high"}, "severity"),
    "collections": ({"description": "now described"}, "description"),
}


@pytest.mark.parametrize("kind", list(BODIES))
async def test_create_read_update_delete(api: httpx.AsyncClient, project: dict, kind: str) -> None:
    base = f"/api/v1/projects/{project['id']}/{kind}"

    # 202 path: the command is accepted, the resource appears once the projection applied it
    accepted = await api.post(base, json=BODIES[kind])
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert body["event_id"] and body["resource_id"] and body["applied"] is False
    item_id = body["resource_id"]

    async def visible():
        r = await api.get(f"{base}/{item_id}")
        return r.json() if r.status_code == 200 else None

    shown = await eventually(visible)
    assert shown["project_id"] == project["id"]
    for key, value in BODIES[kind].items():
        assert shown[key] == value

    # ?wait=true: 201 with the resource itself
    created = await api.post(base, params={"wait": "true"}, json=BODIES[kind])
    assert created.status_code == 201, created.text
    assert created.json()["created_by"] == "admin"  # the authenticated caller (the test's admin token)

    listed = (await api.get(base)).json()
    assert listed["total"] == 2 + (3 if kind == "suites" else 0)  # suites: the bootstrap adds 3 defaults

    changes, field = UPDATES[kind]
    updated = await api.patch(f"{base}/{item_id}", params={"wait": "true"}, json=changes)
    assert updated.status_code == 200, updated.text
    assert updated.json()[field] == changes[field]
    for key, value in BODIES[kind].items():  # untouched fields stay
        if key not in changes:
            assert updated.json()[key] == value

    deleted = await api.delete(f"{base}/{item_id}", params={"wait": "true"})
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert (await api.get(f"{base}/{item_id}")).status_code == 404
    assert (await api.patch(f"{base}/{item_id}", json=changes)).status_code == 404


async def test_project_lifecycle_and_members(api: httpx.AsyncClient) -> None:
    carol, dave = (await create_user(api, "carol"), await create_user(api, "dave"))
    created = await api.post("/api/v1/projects", params={"wait": "true"},
                             json={"name": "Lifecycle", "settings": {"theme": "dark"}, "owner_id": carol})
    assert created.status_code == 201
    project = created.json()
    assert project["owner_id"] == carol  # the instance admin may name the owner
    pid = project["id"]

    members = (await api.get(f"/api/v1/projects/{pid}/members")).json()["items"]
    assert [(m["user_id"], m["role"]) for m in members] == [(carol, "owner")]
    added = await api.post(f"/api/v1/projects/{pid}/members", params={"wait": "true"}, json={"user_id": dave, "role": "viewer"})
    assert {(m["user_id"], m["role"]) for m in added.json()["items"]} == {(carol, "owner"), (dave, "viewer")}
    changed = await api.patch(f"/api/v1/projects/{pid}/members/{dave}", params={"wait": "true"}, json={"role": "editor"})
    assert (dave, "editor") in {(m["user_id"], m["role"]) for m in changed.json()["items"]}
    removed = await api.delete(f"/api/v1/projects/{pid}/members/{dave}", params={"wait": "true"})
    assert [m["user_id"] for m in removed.json()["items"]] == [carol]

    # settings merge key by key: the bootstrap's notification defaults and ours coexist
    async def merged():
        p = (await api.get(f"/api/v1/projects/{pid}")).json()
        return p if "notifications" in p["settings"] else None

    p = await eventually(merged)
    assert p["settings"]["theme"] == "dark"

    suite = (await api.post(f"/api/v1/projects/{pid}/suites", params={"wait": "true"}, json={"name": "S"})).json()
    case = (await api.post(f"/api/v1/projects/{pid}/cases", params={"wait": "true"},
                           json={"title": "C", "suite_id": suite["id"]})).json()
    gone = await api.delete(f"/api/v1/projects/{pid}", params={"wait": "true"})
    assert gone.status_code == 200
    assert (await api.get(f"/api/v1/projects/{pid}")).status_code == 404
    assert (await api.get(f"/api/v1/projects/{pid}/cases/{case['id']}")).status_code == 404


async def test_filters_sorting_pagination(api: httpx.AsyncClient, project: dict) -> None:
    base = f"/api/v1/projects/{project['id']}/cases"
    specs = [("a", "low", "draft", ["ui"]), ("b", "critical", "ready", ["ui", "smoke"]),
             ("c", "high", "ready", ["api"]), ("d", "medium", "draft", ["smoke"])]
    for title, priority, status, tags in specs:
        r = await api.post(base, params={"wait": "true"}, json={"title": title, "priority": priority, "status": status, "tags": tags})
        assert r.status_code == 201

    async def titles(**params):
        r = await api.get(base, params=params)
        assert r.status_code == 200, r.text
        return [c["title"] for c in r.json()["items"]]

    assert await titles(status="ready", sort="title") == ["b", "c"]
    assert await titles(priority=["critical", "high"], sort="title") == ["b", "c"]
    assert await titles(tag="smoke", sort="title") == ["b", "d"]
    assert await titles(tag=["smoke", "ui"]) == ["b"]
    assert await titles(sort="priority") == ["b", "c", "d", "a"]  # critical first
    assert await titles(sort="-title", limit=2) == ["d", "c"]
    assert await titles(sort="-title", limit=2, offset=2) == ["b", "a"]
    assert await titles(q="C", sort="title") == ["c"]
    page = (await api.get(base, params={"limit": 1})).json()
    assert page["total"] == 4 and len(page["items"]) == 1
    assert (await api.get(base, params={"priority": "urgent"})).status_code == 422
    assert (await api.get(base, params={"sort": "password"})).status_code == 422

    issues = f"/api/v1/projects/{project['id']}/issues"
    for title, severity in [("x", "low"), ("y", "critical")]:
        await api.post(issues, params={"wait": "true"}, json={"title": title, "severity": severity})
    got = (await api.get(issues, params={"severity": "critical"})).json()["items"]
    assert [i["title"] for i in got] == ["y"]


async def test_references_are_checked(api: httpx.AsyncClient, project: dict) -> None:
    base = f"/api/v1/projects/{project['id']}"
    missing = str(uuid.uuid4())
    r = await api.post(f"{base}/cases", json={"title": "orphan", "suite_id": missing})
    assert r.status_code == 404 and "suite_id" in r.json()["message"]  # an id in a body naming nothing: 404
    r = await api.post(f"/api/v1/projects/{missing}/plans", json={"name": "nowhere"})
    assert r.status_code == 404 and r.json()["error"] == "not_found"


async def test_idempotency_key_makes_one_resource(api: httpx.AsyncClient, project: dict) -> None:
    base = f"/api/v1/projects/{project['id']}/plans"
    key = str(uuid.uuid4())
    first = await api.post(base, json={"name": "once", "plan_id": str(uuid.uuid4())}, headers={"idempotency-key": key})
    again = await api.post(base, json={"name": "once", "plan_id": first.json()["resource_id"]}, headers={"idempotency-key": key})
    assert first.status_code == again.status_code == 202
    assert again.json()["duplicate"] is True and again.json()["event_id"] == first.json()["event_id"]
    async def count():
        return (await api.get(base, params={"q": "once"})).json()["total"] == 1
    await eventually(count)
