"""The role matrix, generated from the permission table: every route, as every role, as an API
token, as a signed-in outsider and as nobody, gets the status the table says.

Requests carry a body no route accepts and `?wait=maybe`, so a permitted request ends in a 4xx
from the route itself (validation, not found) and changes nothing; what is checked is whether
the access guard let it through: 401 for nobody, 404 ("no project") for outsiders, 403 for a
member without the permission."""

import uuid
from typing import Any

import httpx
import pytest

from cognitest.infra.identity.permissions import ROLE_PERMISSIONS, Permission
from cognitest.producers.api.access.routes import ADMIN, PERSON, PUBLIC, ROUTE_ACCESS, SIGNED_IN
from cognitest.schemas.enums import Role
from tests.support.people import member, token_for
from tests.support.stack import PlatformStack

ROLES = ("owner", "admin", "editor", "viewer")
SKIP = {"POST /api/v1/auth/logout", "POST /ui/logout"}  # would end the session the matrix uses (tested elsewhere)
UNDOCUMENTED = {"GET /", "GET /docs", "GET /redoc", "GET /openapi.json", "GET /ui",
                # the 405 for methods other than POST on the import path (it is not a collection id)
                *(f"{m} /api/v1/projects/{{project_id}}/collections/import" for m in ("GET", "PUT", "PATCH", "DELETE", "OPTIONS"))}
FILL = {"seq": "999999", "action": "describe", "version": "1", "user_id": "nobody@example.com"}


@pytest.fixture(scope="module")
async def people(stack: PlatformStack) -> dict[str, Any]:
    async with stack.client() as admin:
        created = await admin.post("/api/v1/projects", params={"wait": "true"}, json={"name": "access matrix"})
        pid = created.json()["id"]
        out: dict[str, Any] = {"pid": pid}
        for role in ROLES:
            out[role] = (await member(stack, admin, pid, role, role)).client
        out["outsider"] = (await member(stack, admin, pid, None, "outsider")).client
        out["token"] = stack.client(token=(await token_for(admin, pid, "editor"))["token"])
        out["nobody"] = httpx.AsyncClient(base_url=stack.api_url, timeout=30)
        out["instance admin"] = stack.client()
    yield out
    for value in out.values():
        if isinstance(value, httpx.AsyncClient):
            await value.aclose()


def url_for(path: str, pid: str) -> str:
    for name in [p.strip("{}") for p in path.split("/") if p.startswith("{")]:
        path = path.replace("{" + name + "}", pid if name == "project_id" else FILL.get(name, str(uuid.uuid4())))
    return path


async def call(client: httpx.AsyncClient, key: str, pid: str) -> httpx.Response:
    method, path = key.split(" ", 1)
    body = {"json": {"__not_a_field__": 1}} if method in ("POST", "PATCH", "PUT") else {}
    return await client.request(method, url_for(path, pid), params={"wait": "maybe", "project": "not-a-uuid"}, **body)


def message(response: httpx.Response) -> str:
    if response.headers.get("content-type", "").startswith("text/html"):
        return response.text  # pages show the message in the page
    return response.json().get("message", "")


def passed_the_guard(response: httpx.Response) -> bool:
    if response.status_code in (401, 403) or is_sign_in(response):
        return False
    return not (response.status_code == 404 and "no project" in message(response))


def is_sign_in(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers.get("location", "").startswith("/ui/login")


def test_every_route_has_an_entry_and_every_entry_a_route() -> None:
    from cognitest.producers.api.app import create_app

    from cognitest.producers.web import web_routers

    paths = create_app().openapi()["paths"]
    pages = {f"{method} {route.path}" for router in web_routers() for route in router.routes for method in route.methods}
    routes = {f"{method.upper()} {path}" for path, ops in paths.items() for method in ops} | UNDOCUMENTED | pages
    assert sorted(routes - set(ROUTE_ACCESS)) == [], "routes without a permission entry"
    assert sorted(set(ROUTE_ACCESS) - routes) == [], "permission entries without a route"


@pytest.mark.parametrize("key", sorted(set(ROUTE_ACCESS) - SKIP))
async def test_route_access(people: dict[str, Any], key: str) -> None:
    access, pid = ROUTE_ACCESS[key], people["pid"]
    seen = {who: await call(people[who], key, pid) for who in (*ROLES, "outsider", "token", "nobody", "instance admin")}
    for who, response in seen.items():
        assert response.status_code < 500, f"{key} as {who}: {response.status_code} {response.text[:300]}"
    if access == PUBLIC:
        assert all(passed_the_guard(r) for r in seen.values()), {w: r.status_code for w, r in seen.items()}
        return
    if key.split(" ", 1)[1].startswith("/ui/"):  # a page sends nobody to sign in
        assert is_sign_in(seen["nobody"]), seen["nobody"].status_code
    else:
        assert seen["nobody"].status_code == 401, seen["nobody"].text
        assert seen["nobody"].headers.get("www-authenticate", "").startswith("Bearer")
    assert passed_the_guard(seen["instance admin"]), seen["instance admin"].text
    if access == ADMIN:
        for who in (*ROLES, "outsider", "token"):
            assert seen[who].status_code == 403, f"{who}: {seen[who].text}"
        return
    if access in (SIGNED_IN, PERSON):
        for who in (*ROLES, "outsider"):
            assert passed_the_guard(seen[who]), f"{who}: {seen[who].text}"
        assert passed_the_guard(seen["token"]) is (access == SIGNED_IN), seen["token"].text
        return
    permission = Permission(access)
    for role in ROLES:
        if permission in ROLE_PERMISSIONS[Role(role)]:
            assert passed_the_guard(seen[role]), f"{role} should pass: {seen[role].text}"
        else:
            assert seen[role].status_code == 403, f"{role} should get 403: {seen[role].status_code} {seen[role].text}"
    expected_token = permission in ROLE_PERMISSIONS[Role.editor]
    assert passed_the_guard(seen["token"]) is expected_token, seen["token"].text
    outsider = seen["outsider"]
    assert outsider.status_code == 404 and "no project" in message(outsider), outsider.text
