"""Ids a caller sends: an existing id can never be taken over by a create, ids in a body are
checked for ownership like ids in a path, a retried request with the same Idempotency-Key
answers with the original resource, and members are people who can sign in."""

import uuid

import httpx
import pytest

from cognitest.schemas import new_event
from cognitest.schemas.events.projects import ProjectCreated
from tests.conftest import eventually
from tests.support.people import create_user, member
from tests.support.stack import PlatformStack

RESOURCES = ["plans", "suites", "cases", "issues", "collections"]
ID_FIELD = {"plans": "plan_id", "suites": "suite_id", "cases": "case_id", "issues": "issue_id",
            "collections": "collection_id"}
BODY = {"plans": {"name": "mine"}, "suites": {"name": "mine"}, "cases": {"title": "mine"}, "issues": {"title": "mine"},
        "collections": {"name": "mine"}}


async def _new_project(client: httpx.AsyncClient, name: str) -> str:
    r = await client.post("/api/v1/projects", params={"wait": "true"}, json={"name": name})
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_a_stranger_cannot_take_over_a_project_by_naming_its_id(stack: PlatformStack, api: httpx.AsyncClient) -> None:
    pid = await _new_project(api, "victim")
    stranger = await member(stack, api, pid, None, "stranger")
    try:
        taken = await stranger.client.post("/api/v1/projects", json={"project_id": pid, "name": "mine now"})
        assert taken.status_code == 409 and "already taken" in taken.json()["message"]
        raw = await stranger.client.post("/api/v1/events", json={
            "type": "project.created", "subject": pid, "data": {"project_id": pid, "name": "mine now", "owner_id": stranger.email}})
        assert raw.status_code == 409, raw.text
        assert (await stranger.client.get(f"/api/v1/projects/{pid}")).status_code == 404
        assert (await stranger.client.delete(f"/api/v1/projects/{pid}/members/admin")).status_code == 404
    finally:
        await stranger.client.aclose()
    # even an event that reaches the bus directly never names a second owner
    forged = new_event(ProjectCreated(project_id=uuid.UUID(pid), name="forged", owner_id="mallory@example.com"),
                       project_id=pid, actor="mallory@example.com")
    await stack.publisher.publish(forged)
    await stack.wait_caught_up()
    members = (await api.get(f"/api/v1/projects/{pid}/members")).json()["items"]
    assert [m["user_id"] for m in members] == ["admin"]
    assert (await api.get(f"/api/v1/projects/{pid}")).json()["name"] == "victim"
    letters = (await api.get("/api/v1/dead-letters", params={"limit": 1000})).json()["items"]
    assert any(d.get("event_id") == forged.id and "already exists" in d.get("reason", "") for d in letters)


@pytest.mark.parametrize("plural", RESOURCES)
async def test_creating_with_somebody_elses_id_is_refused(stack: PlatformStack, api: httpx.AsyncClient, plural: str) -> None:
    theirs = await _new_project(api, f"theirs-{plural}")
    made = await api.post(f"/api/v1/projects/{theirs}/{plural}", params={"wait": "true"}, json=BODY[plural])
    assert made.status_code == 201, made.text
    their_id = made.json()["id"]
    mine = await _new_project(api, f"mine-{plural}")
    again = await api.post(f"/api/v1/projects/{mine}/{plural}", json={**BODY[plural], ID_FIELD[plural]: their_id})
    assert again.status_code == 409, again.text
    raw = await api.post("/api/v1/events", json={"type": f"{plural[:-1]}.created", "subject": mine,
                                                 "data": {**BODY[plural], ID_FIELD[plural]: their_id}})
    assert raw.status_code == 409, raw.text
    assert (await api.get(f"/api/v1/projects/{theirs}/{plural}/{their_id}")).json()["project_id"] == theirs


async def test_ids_in_a_body_must_be_the_projects_own(api: httpx.AsyncClient) -> None:
    theirs = await _new_project(api, "theirs-refs")
    case = (await api.post(f"/api/v1/projects/{theirs}/cases", params={"wait": "true"}, json={"title": "theirs"})).json()
    mine = await _new_project(api, "mine-refs")
    run = await api.post(f"/api/v1/projects/{mine}/runs", json={"case_ids": [case["id"]]})
    assert run.status_code == 404 and "not found in this project" in run.json()["message"]
    gen = await api.post(f"/api/v1/projects/{mine}/generations", json={"case_id": case["id"]})
    assert gen.status_code == 404
    upd = await api.post("/api/v1/events", json={"type": "case.updated", "subject": mine,
                                                 "data": {"case_id": case["id"], "changes": {"title": "stolen"}}})
    assert upd.status_code == 404 and "another project" not in upd.text  # nothing learnt about other projects
    # the same refusal for an id that does not exist at all
    nowhere = await api.post(f"/api/v1/projects/{mine}/runs", json={"case_ids": [str(uuid.uuid4())]})
    assert nowhere.status_code == 404 and nowhere.json()["message"].endswith("not found in this project")
    assert (await api.get(f"/api/v1/projects/{theirs}/cases/{case['id']}")).json()["title"] == "theirs"


async def test_a_retry_with_the_same_idempotency_key_answers_with_the_same_resource(api: httpx.AsyncClient,
                                                                                   project: dict) -> None:
    base = f"/api/v1/projects/{project['id']}/cases"
    key = {"idempotency-key": f"retry-{uuid.uuid4()}"}
    first = await api.post(base, json={"title": "retried"}, headers=key)
    again = await api.post(base, json={"title": "retried"}, headers=key)
    assert first.status_code == again.status_code == 202
    assert again.json()["resource_id"] == first.json()["resource_id"]
    assert again.json()["event_id"] == first.json()["event_id"]
    waited = await api.post(base, params={"wait": "true"}, json={"title": "retried"}, headers=key)
    assert waited.status_code == 201 and waited.json()["id"] == first.json()["resource_id"]
    assert (await api.get(first.headers["location"])).status_code == 200

    async def one() -> bool:
        return (await api.get(base, params={"q": "retried"})).json()["total"] == 1
    await eventually(one)
    # projects too
    pkey = {"idempotency-key": f"project-{uuid.uuid4()}"}
    p1 = await api.post("/api/v1/projects", json={"name": "once"}, headers=pkey)
    p2 = await api.post("/api/v1/projects", params={"wait": "true"}, json={"name": "once"}, headers=pkey)
    assert p2.status_code == 201 and p2.json()["id"] == p1.json()["resource_id"]


async def test_the_same_key_from_two_callers_makes_two_resources(stack: PlatformStack, api: httpx.AsyncClient,
                                                                  project: dict) -> None:
    editor = await member(stack, api, project["id"], "editor", "keyed")
    try:
        base = f"/api/v1/projects/{project['id']}/cases"
        key = {"idempotency-key": f"shared-{uuid.uuid4()}"}
        mine = await api.post(base, json={"title": "keyed"}, headers=key)
        theirs = await editor.client.post(base, json={"title": "keyed"}, headers=key)
        assert mine.status_code == theirs.status_code == 202
        assert theirs.json()["duplicate"] is False
        assert theirs.json()["resource_id"] != mine.json()["resource_id"]
    finally:
        await editor.client.aclose()


async def test_members_are_people_who_can_sign_in(stack: PlatformStack, api: httpx.AsyncClient, project: dict) -> None:
    base = f"/api/v1/projects/{project['id']}/members"
    script = await api.post(base, json={"user_id": "<script>alert(1)</script>", "role": "viewer"})
    assert script.status_code == 422
    raw = await api.post("/api/v1/events", json={"type": "member.added", "subject": project["id"],
                                                 "data": {"user_id": "<img src=x onerror=alert(1)>", "role": "owner"}})
    assert raw.status_code in (404, 422)
    email = await create_user(api, "joiner")
    added = await api.post(base, params={"wait": "true"}, json={"user_id": email.upper(), "role": "viewer"})
    assert added.status_code == 200 and (email, "viewer") in {(m["user_id"], m["role"]) for m in added.json()["items"]}
    # this instance has an identity provider: naming someone provisions their account, which only
    # the provider can sign in (no password works)
    invited = f"invited-{uuid.uuid4().hex[:6]}@idp.test"
    assert (await api.post(base, params={"wait": "true"}, json={"user_id": invited, "role": "viewer"})).status_code == 200
    assert invited in {u["email"] for u in (await api.get("/api/v1/users")).json()["items"]}
    async with httpx.AsyncClient(base_url=stack.api_url) as guess:
        assert (await guess.post("/api/v1/auth/login", json={"email": invited, "password": ""})).status_code in (401, 422)


async def test_without_an_identity_provider_an_unknown_email_is_not_a_member() -> None:
    from types import SimpleNamespace

    from cognitest.infra.settings import Settings
    from cognitest.producers.api.errors import ApiError
    from cognitest.producers.api.routes.projects import require_person

    async def has_account(email: str) -> bool:
        return email == "known@example.com"

    state = SimpleNamespace(settings=Settings(auth={"oidc": {"issuer": None}}),
                            auth=SimpleNamespace(store=SimpleNamespace(has_account=has_account)))
    assert await require_person(state, " Known@Example.com ") == "known@example.com"  # type: ignore[arg-type]
    with pytest.raises(ApiError) as refused:
        await require_person(state, "nobody@example.com")  # type: ignore[arg-type]
    assert refused.value.status_code == 404 and "no account" in str(refused.value.detail)


async def test_text_that_embeds_to_nothing_is_refused_and_json_depth_is_bounded(api: httpx.AsyncClient,
                                                                                project: dict) -> None:
    base = f"/api/v1/projects/{project['id']}/cases"
    for title in ("\f", "   ", "\x00x"):
        r = await api.post(base, json={"title": title})
        assert r.status_code in (400, 422), (title, r.text)  # NUL is refused while parsing the body
    deep: dict = {}
    cursor = deep
    for _ in range(200):
        cursor["a"] = {}
        cursor = cursor["a"]
    r = await api.post(base, json={"title": "deep", "metadata": deep})
    assert r.status_code == 422 and "nested deeper" in r.text


async def test_a_method_not_allowed_says_which_are(api: httpx.AsyncClient, project: dict) -> None:
    r = await api.put(f"/api/v1/projects/{project['id']}")
    assert r.status_code == 405 and set(r.headers["allow"].replace(" ", "").split(",")) >= {"GET", "PATCH", "DELETE"}
    assert r.json()["error"] == "method_not_allowed"
