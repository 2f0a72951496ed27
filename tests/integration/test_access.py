"""Identity end to end: sessions and CSRF, API tokens (scope, role, expiry, revocation), OIDC
users, forged events, rate limits, the audit log and security headers."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import update

from cognitest.infra.db.identity_models import ApiToken
from tests.conftest import eventually
from tests.support.fake_services import FakeServices
from tests.support.people import PASSWORD, create_user, member, token_for
from tests.support.stack import PlatformStack


async def new_project(api: httpx.AsyncClient, name: str = "access", **body) -> str:  # type: ignore[no-untyped-def]
    r = await api.post("/api/v1/projects", params={"wait": "true"}, json={"name": name, **body})
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_sessions_need_their_csrf_token_and_end_at_sign_out(stack: PlatformStack, api: httpx.AsyncClient) -> None:
    email = await create_user(api, "sam")
    async with httpx.AsyncClient(base_url=stack.api_url) as browser:
        wrong = await browser.post("/api/v1/auth/login", json={"email": email, "password": "not it at all"})
        assert wrong.status_code == 401 and wrong.json()["message"] == "wrong email or password"
        unknown = await browser.post("/api/v1/auth/login", json={"email": "ghost@example.com", "password": PASSWORD})
        assert unknown.status_code == 401 and unknown.json()["message"] == wrong.json()["message"]  # no account probing
        r = await browser.post("/api/v1/auth/login", json={"email": email.upper(), "password": PASSWORD})
        assert r.status_code == 200
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        assert "secure" not in cookie  # served over http on 127.0.0.1; on any other host it is Secure
        csrf = r.json()["csrf_token"]
        me = (await browser.get("/api/v1/auth/me")).json()
        assert me["actor"] == email and me["kind"] == "user" and me["csrf_token"] == csrf
        # a person may create a project and owns it; without the CSRF token an unsafe request is refused
        refused = await browser.post("/api/v1/projects", json={"name": "no csrf"})
        assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["message"]
        wrong_csrf = await browser.post("/api/v1/projects", json={"name": "bad csrf"}, headers={"x-csrf-token": "x" * 43})
        assert wrong_csrf.status_code == 403
        made = await browser.post("/api/v1/projects", params={"wait": "true"}, json={"name": "mine"},
                                  headers={"x-csrf-token": csrf})
        assert made.status_code == 201 and made.json()["owner_id"] == email
        members = (await browser.get(f"/api/v1/projects/{made.json()['id']}/members")).json()["items"]
        assert [(m["user_id"], m["role"]) for m in members] == [(email, "owner")]
        # the list shows the caller's projects only
        listed = (await browser.get("/api/v1/projects")).json()
        assert [p["name"] for p in listed["items"]] == ["mine"] and listed["total"] == 1
        out = await browser.post("/api/v1/auth/logout", headers={"x-csrf-token": csrf})
        assert out.status_code == 200
        browser.cookies.set("cognitest_session", r.cookies["cognitest_session"])
        assert (await browser.get("/api/v1/auth/me")).status_code == 401  # the old cookie is dead


async def test_people_change_their_password_and_the_admin_resets_one(stack: PlatformStack, api: httpx.AsyncClient) -> None:
    email = await create_user(api, "rotates")
    async with httpx.AsyncClient(base_url=stack.api_url) as laptop, httpx.AsyncClient(base_url=stack.api_url) as phone:
        for browser in (laptop, phone):
            assert (await browser.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})).status_code == 200
        csrf = {"x-csrf-token": (await laptop.get("/api/v1/auth/me")).json()["csrf_token"]}
        short = await laptop.post("/api/v1/auth/password", headers=csrf,
                                  json={"current_password": PASSWORD, "new_password": "short"})
        assert short.status_code == 422 and "new_password" in short.text
        wrong = await laptop.post("/api/v1/auth/password", headers=csrf,
                                  json={"current_password": "not the password", "new_password": "a much longer one"})
        assert wrong.status_code == 403 and wrong.json()["message"] == "the current password is wrong"
        changed = await laptop.post("/api/v1/auth/password", headers=csrf,
                                    json={"current_password": PASSWORD, "new_password": "a much longer one"})
        assert changed.status_code == 200 and changed.json() == {"changed": True, "other_sessions_ended": 1}
        assert (await laptop.get("/api/v1/auth/me")).status_code == 200  # this session goes on
        assert (await phone.get("/api/v1/auth/me")).status_code == 401  # the other one was signed out
        page = await laptop.get("/ui/account")
        assert page.status_code == 200 and 'data-api="/api/v1/auth/password"' in page.text
    async with httpx.AsyncClient(base_url=stack.api_url) as browser:
        old = await browser.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert old.status_code == 401
        assert (await browser.post("/api/v1/auth/login", json={"email": email,
                                                               "password": "a much longer one"})).status_code == 200
    # an API token has no password to change; the instance admin sets a forgotten one
    token = stack.client(token=(await token_for(api, await new_project(api, "pw"), "editor"))["token"])
    async with token:
        assert (await token.post("/api/v1/auth/password", json={"current_password": "x" * 10,
                                                                "new_password": "y" * 10})).status_code == 403
    reset = await api.put(f"/api/v1/users/{email}/password", json={"password": "set by the admin"})
    assert reset.status_code == 200 and reset.json() == {"email": email, "sessions_ended": 2}  # laptop and browser
    assert (await api.put("/api/v1/users/ghost@example.com/password", json={"password": "x" * 12})).status_code == 404
    assert (await api.post("/api/v1/users", json={"email": "tiny@example.com", "password": "short"})).status_code == 422
    schema = (await api.get("/openapi.json")).json()["components"]["schemas"]
    assert schema["UserBody"]["properties"]["password"]["minLength"] == 10  # the rule is in the document


async def test_login_attempts_are_rate_limited_per_account(stack: PlatformStack, api: httpx.AsyncClient) -> None:
    email = await create_user(api, "guess")
    async with httpx.AsyncClient(base_url=stack.api_url) as client:
        statuses = [(await client.post("/api/v1/auth/login", json={"email": email, "password": f"guess {i}"})).status_code
                    for i in range(10)]
        assert statuses == [401] * 10
        limited = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert "too many attempts" in limited.json()["message"]


async def test_api_tokens_are_scoped_shown_once_and_revocable(stack: PlatformStack, api: httpx.AsyncClient) -> None:
    pid, other = await new_project(api, "token home"), await new_project(api, "elsewhere")
    created = await token_for(api, pid, "editor", "github-actions")
    secret = created["token"]
    assert secret.startswith("ct_") and created["role"] == "editor" and created["expires_at"]
    listed = (await api.get(f"/api/v1/projects/{pid}/tokens")).json()["items"]
    assert [t["name"] for t in listed] == ["github-actions"]
    assert secret not in str(listed) and "token_hash" not in listed[0] and "token" not in listed[0]
    async with stack.client(token=secret) as ci:
        case = await ci.post(f"/api/v1/projects/{pid}/cases", params={"wait": "true"}, json={"title": "from CI"})
        assert case.status_code == 201 and case.json()["created_by"] == f"token:{created['id']}"
        assert (await ci.get(f"/api/v1/projects/{other}/cases")).status_code == 404  # another project: unseen
        assert (await ci.delete(f"/api/v1/projects/{pid}/cases/{case.json()['id']}")).status_code == 403  # editor
        assert (await ci.post("/api/v1/projects", json={"name": "by a token"})).status_code == 403
        assert [p["id"] for p in (await ci.get("/api/v1/projects")).json()["items"]] == [pid]
        assert (await ci.post(f"/api/v1/projects/{pid}/tokens", json={"name": "x"})).status_code == 403
        revoked = await api.delete(f"/api/v1/projects/{pid}/tokens/{created['id']}")
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        gone = await ci.get(f"/api/v1/projects/{pid}/cases")
        assert gone.status_code == 401 and "revoked" in gone.json()["message"]
    viewer = await token_for(api, pid, "viewer", "dashboard")
    async with stack.client(token=viewer["token"]) as read_only:
        assert (await read_only.get(f"/api/v1/projects/{pid}/cases")).status_code == 200
        assert (await read_only.post(f"/api/v1/projects/{pid}/cases", json={"title": "no"})).status_code == 403
        async with stack.sessions()() as session:  # expire it
            await session.execute(update(ApiToken).where(ApiToken.id == uuid.UUID(viewer["id"]))
                                  .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
            await session.commit()
        assert (await read_only.get(f"/api/v1/projects/{pid}/cases")).status_code == 401
    async with stack.client(token="ct_" + "x" * 43) as forged:
        assert (await forged.get("/api/v1/projects")).status_code == 401
    audit = (await api.get(f"/api/v1/projects/{pid}/audit", params={"type": "token.*"})).json()["items"]
    assert sorted(a["type"] for a in audit) == ["token.created", "token.created", "token.revoked"]


async def test_a_token_never_outranks_its_creator_and_creation_is_rate_limited(stack: PlatformStack,
                                                                               api: httpx.AsyncClient) -> None:
    pid = await new_project(api, "ranks")
    lead = await member(stack, api, pid, "admin", "lead")
    try:
        assert (await lead.client.post(f"/api/v1/projects/{pid}/tokens", json={"name": "x", "role": "owner"})).status_code == 403
        statuses = [(await lead.client.post(f"/api/v1/projects/{pid}/tokens", json={"name": f"t{i}", "role": "viewer"})).status_code
                    for i in range(21)]
        assert statuses[:20] == [201] * 20 and statuses[-1] == 429  # 20 per minute
    finally:
        await lead.client.aclose()


async def test_forged_events_get_no_further_than_the_routes(stack: PlatformStack, api: httpx.AsyncClient) -> None:
    pid = await new_project(api, "forgery")
    viewer = await member(stack, api, pid, "viewer", "vic")
    editor = await member(stack, api, pid, "editor", "eve")
    try:
        plan = {"type": "plan.created", "subject": pid, "data": {"plan_id": str(uuid.uuid4()), "name": "sneaky"}}
        r = await viewer.client.post("/api/v1/events", json=plan)
        assert r.status_code == 403 and "tests.edit" in r.json()["message"]
        grab = {"type": "member.added", "subject": pid, "data": {"user_id": editor.email, "role": "owner"}}
        assert (await editor.client.post("/api/v1/events", json=grab)).status_code == 403
        fact = {"type": "run.completed", "subject": pid,
                "data": {"run_id": str(uuid.uuid4()), "totals": {"total": 0}}}
        r = await editor.client.post("/api/v1/events", json=fact)
        assert r.status_code == 403 and "published by the platform" in r.json()["message"]
        theirs = await new_project(api, "not yours")
        elsewhere = {**plan, "subject": theirs}
        assert (await editor.client.post("/api/v1/events", json=elsewhere)).status_code == 404
        ok = await editor.client.post("/api/v1/events", params={"wait": "true"}, json={**plan, "actor": "mallory"})
        assert ok.status_code == 200, ok.text
        created = (await api.get(f"/api/v1/projects/{pid}/plans", params={"q": "sneaky"})).json()["items"]
        assert created[0]["created_by"] == editor.email  # the caller, not the body's actor
        audit = (await api.get(f"/api/v1/projects/{pid}/audit", params={"actor": editor.email})).json()["items"]
        assert [a["type"] for a in audit] == ["plan.created"]
        # the live stream: only projects one may view, and a project must be named
        assert (await viewer.client.get("/api/v1/events/stream", params={"project": theirs})).status_code == 404
        assert (await viewer.client.get("/api/v1/events/stream")).status_code == 422
    finally:
        await viewer.client.aclose()
        await editor.client.aclose()


async def test_oidc_users_act_with_their_project_role(stack: PlatformStack, api: httpx.AsyncClient,
                                                      outside: FakeServices) -> None:
    idp = outside.idp
    pid = await new_project(api, "oidc")
    assert (await api.post(f"/api/v1/projects/{pid}/members", params={"wait": "true"},
                           json={"user_id": "Olga@IDP.test", "role": "editor"})).status_code == 200
    async with stack.client(token=idp.token("olga@idp.test")) as olga:
        me = (await olga.get("/api/v1/auth/me")).json()
        assert me["actor"] == "olga@idp.test" and me["kind"] == "oidc" and me["instance_admin"] is False
        case = await olga.post(f"/api/v1/projects/{pid}/cases", params={"wait": "true"}, json={"title": "by olga"})
        assert case.status_code == 201 and case.json()["created_by"] == "olga@idp.test"
        assert (await olga.patch(f"/api/v1/projects/{pid}", json={"description": "x"})).status_code == 403
    async with stack.client(token=idp.token("stranger@idp.test")) as stranger:
        assert (await stranger.get(f"/api/v1/projects/{pid}")).status_code == 404
    async with stack.client(token=idp.token("root@idp.test")) as root:  # an admin user named in settings
        assert (await root.get(f"/api/v1/projects/{pid}")).status_code == 200
    for bad in (idp.token("olga@idp.test", aud="other"), idp.unsigned("olga@idp.test"), idp.hmac_confused("olga@idp.test"),
                idp.token("olga@idp.test", exp=0)):
        async with stack.client(token=bad) as client:
            r = await client.get(f"/api/v1/projects/{pid}")
            assert r.status_code == 401 and r.json()["message"], r.text
    idp.rotate()  # the provider rotates its keys: tokens with the new kid work once the set is fetched again
    async with stack.client(token=idp.token("olga@idp.test")) as olga:  # (at most every 10 s)
        async def accepted():  # type: ignore[no-untyped-def]
            return (await olga.get(f"/api/v1/projects/{pid}/cases")).status_code == 200
        await eventually(accepted, timeout=15, interval=1)


async def test_outsiders_cannot_tell_a_project_exists_and_owners_stay(stack: PlatformStack, api: httpx.AsyncClient) -> None:
    pid = await new_project(api, "private")
    outsider = await member(stack, api, pid, None, "olly")
    try:
        absent = str(uuid.uuid4())
        real = await outsider.client.get(f"/api/v1/projects/{pid}/cases")
        missing = await outsider.client.get(f"/api/v1/projects/{absent}/cases")
        assert real.status_code == missing.status_code == 404  # the same answer as for no project at all
        assert real.json()["message"].replace(pid, "X") == missing.json()["message"].replace(absent, "X")
    finally:
        await outsider.client.aclose()
    owners = (await api.get(f"/api/v1/projects/{pid}/members")).json()["items"]
    assert [m["role"] for m in owners] == ["owner"]
    last = await api.delete(f"/api/v1/projects/{pid}/members/{owners[0]['user_id']}")
    assert last.status_code == 409 and "only owner" in last.json()["message"]


async def test_security_headers_on_every_answer(stack: PlatformStack, api: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/api/v1/projects", "/api/v1/nope", "/docs"):
        r = await api.get(path)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "default-src 'self'" in (await api.get("/healthz")).headers["content-security-policy"]
