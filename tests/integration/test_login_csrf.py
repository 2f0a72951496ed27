"""The sign-in form is protected against login CSRF: a form posted from another site (which
would sign the victim in as the attacker) carries no matching token and cookie, and is refused."""

import re

import httpx

from tests.support.people import PASSWORD, create_user
from tests.support.stack import PlatformStack


async def test_a_sign_in_posted_from_elsewhere_is_refused(stack: PlatformStack, api: httpx.AsyncClient) -> None:
    email = await create_user(api, "csrf")
    form = {"email": email, "password": PASSWORD, "next": "/ui/projects"}
    async with httpx.AsyncClient(base_url=stack.api_url) as attacker:  # no visit to the form first
        forged = await attacker.post("/ui/login", data=form)
        assert forged.status_code == 403 and "sign in again" in forged.text and "cognitest_session" not in forged.headers.get("set-cookie", "")
        wrong = await attacker.post("/ui/login", data={**form, "login_csrf": "guessed"}, cookies={"ct_login_csrf": "other"})
        assert wrong.status_code == 403
    async with httpx.AsyncClient(base_url=stack.api_url) as person:
        page = await person.get("/ui/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', page.text).group(1)
        assert "samesite=strict" in page.headers["set-cookie"].lower()
        signed_in = await person.post("/ui/login", data={**form, "login_csrf": token})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/ui/projects"
        assert (await person.get("/api/v1/auth/me")).json()["actor"] == email
