"""People for access tests: built-in users signed in through the API (a session cookie plus the
CSRF token every unsafe request sends), API tokens, OIDC users with tokens from the fake provider."""

import uuid
from dataclasses import dataclass

import httpx

from tests.support.stack import PlatformStack

PASSWORD = "correct horse battery staple"


@dataclass
class Person:
    email: str
    client: httpx.AsyncClient


async def create_user(admin: httpx.AsyncClient, prefix: str, *, is_admin: bool = False) -> str:
    email = f"{prefix}-{uuid.uuid4().hex[:6]}@example.com"
    r = await admin.post("/api/v1/users", json={"email": email, "password": PASSWORD, "name": prefix.title(),
                                                 "is_admin": is_admin})
    assert r.status_code == 201, r.text
    return email


async def sign_in(stack: PlatformStack, email: str, password: str = PASSWORD) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=stack.api_url, timeout=30)
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    client.headers["x-csrf-token"] = r.json()["csrf_token"]
    return client


async def member(stack: PlatformStack, admin: httpx.AsyncClient, pid: str, role: str | None, prefix: str) -> Person:
    """A signed-in user with this role in the project (None: not a member)."""
    email = await create_user(admin, prefix)
    if role is not None:
        r = await admin.post(f"/api/v1/projects/{pid}/members", params={"wait": "true"},
                             json={"user_id": email, "role": role})
        assert r.status_code == 200, r.text
    return Person(email, await sign_in(stack, email))


async def token_for(admin: httpx.AsyncClient, pid: str, role: str, name: str = "ci") -> dict:
    r = await admin.post(f"/api/v1/projects/{pid}/tokens", json={"name": name, "role": role})
    assert r.status_code == 201, r.text
    return r.json()
