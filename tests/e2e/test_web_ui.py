"""The web UI in real Chromium against the platform: sign in, the dashboard, create and edit a
case, resolve an issue, every main page passes axe-core with no serious violations, and a Viewer
sees no edit controls (and the API refuses the edit anyway). Screenshots of each page are kept in
test-artifacts/ui/."""

import uuid
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from cognitest.consumers.execution.web_runner import WebBrowsers
from tests.support.people import PASSWORD, create_user
from tests.support.stack import PlatformStack
from tests.support.tools import ensure_axe, ensure_chromium

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"


@pytest.fixture(scope="module")
async def browser():  # type: ignore[no-untyped-def]
    ensure_chromium()
    browsers = WebBrowsers(None)
    yield await browsers.browser("chromium")
    await browsers.close()


async def sign_in(page: Page, base: str, email: str, start: str) -> None:
    await page.goto(base + start)
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()  # sent to sign in first
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"**{start}")


async def accessible(page: Page, name: str) -> None:
    """No serious or critical axe-core violation; a screenshot for the record."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    await page.add_script_tag(path=str(ensure_axe()))
    result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [f"{v['id']}: {v['help']} ({len(v['nodes'])}×, e.g. {v['nodes'][0]['html'][:120]})"
               for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, f"{name}: " + "; ".join(serious)


async def test_a_lead_works_through_the_main_pages(stack: PlatformStack, api: httpx.AsyncClient, browser) -> None:  # type: ignore[no-untyped-def]
    owner = await create_user(api, "lead")
    project = (await api.post("/api/v1/projects", params={"wait": "true"},
                              json={"name": f"UI {uuid.uuid4().hex[:6]}", "owner_id": owner})).json()
    pid, base = project["id"], stack.api_url
    issue = (await api.post(f"/api/v1/projects/{pid}/issues", params={"wait": "true"},
                            json={"title": "Checkout button does nothing", "severity": "high",
                                  "steps_to_reproduce": ["Open the cart", "Click Checkout"]})).json()
    context = await browser.new_context(bypass_csp=True)  # axe is injected as a script; the app itself needs no bypass
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # the one refused request is the deliberate bad input below; anything else is a defect
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "status of 422" not in m.text else None)
    try:
        await sign_in(page, base, owner, f"/ui/projects/{pid}")
        await expect(page.get_by_role("heading", name=project["name"])).to_be_visible()
        await accessible(page, "dashboard")

        await page.get_by_role("link", name="Test cases").click()
        await page.get_by_label("Title").fill("Pay with a saved card")
        await page.get_by_role("button", name="Create case").click()
        await expect(page.get_by_role("heading", name="Pay with a saved card")).to_be_visible()
        await accessible(page, "case")
        await page.get_by_label("Priority").select_option("critical")
        await page.get_by_label("Tags (comma separated)").fill("checkout, smoke")
        await page.get_by_role("button", name="Save").click()
        await expect(page.locator(".badge.critical").first).to_be_visible()
        case = (await api.get(f"/api/v1/projects/{pid}/cases", params={"q": "saved card"})).json()["items"][0]
        assert case["priority"] == "critical" and case["tags"] == ["checkout", "smoke"] and case["created_by"] == owner

        await page.goto(f"{base}/ui/projects/{pid}/cases?q=saved&priority=critical")
        await expect(page.get_by_role("link", name="Pay with a saved card")).to_be_visible()
        await accessible(page, "cases")

        await page.goto(f"{base}/ui/projects/{pid}/cases?q=saved")
        bad = page.locator("form[data-api$='/cases']")
        # over the limit (the browser's own check lifted): the API's message shows by the form
        await page.evaluate("document.getElementById('new-title').removeAttribute('maxlength')")
        await bad.get_by_label("Title").fill("x" * 501)
        await bad.get_by_role("button", name="Create case").click()
        await expect(bad.get_by_role("alert")).to_contain_text("title")

        await page.goto(f"{base}/ui/projects/{pid}/issues/{issue['id']}")
        await page.get_by_role("button", name="Resolve").click()
        await expect(page.locator(".badge.resolved")).to_be_visible()
        await accessible(page, "issue")
        for name in ("issues", "runs", "members", "settings", "events"):
            await page.goto(f"{base}/ui/projects/{pid}/{name}")
            await accessible(page, name)
        await page.goto(f"{base}/ui/projects")
        await accessible(page, "projects")
        assert not errors, errors
    finally:
        await context.close()


async def test_a_viewer_sees_no_edit_controls_and_the_api_refuses_anyway(stack: PlatformStack, api: httpx.AsyncClient,
                                                                           browser) -> None:  # type: ignore[no-untyped-def]
    viewer = await create_user(api, "viewer")
    project = (await api.post("/api/v1/projects", params={"wait": "true"}, json={"name": "read only"})).json()
    pid = project["id"]
    await api.post(f"/api/v1/projects/{pid}/members", params={"wait": "true"}, json={"user_id": viewer, "role": "viewer"})
    case = (await api.post(f"/api/v1/projects/{pid}/cases", params={"wait": "true"}, json={"title": "Look only"})).json()
    context = await browser.new_context()
    page = await context.new_page()
    try:
        await sign_in(page, stack.api_url, viewer, f"/ui/projects/{pid}/cases/{case['id']}")
        await expect(page.get_by_role("heading", name="Look only")).to_be_visible()
        assert await page.locator("form[data-api]").count() == 0  # no edit form
        await page.goto(f"{stack.api_url}/ui/projects/{pid}/cases")
        assert await page.get_by_role("button", name="Create case").count() == 0
        await page.goto(f"{stack.api_url}/ui/projects/{pid}/settings")
        assert await page.get_by_role("button", name="Create token").count() == 0
        # the same edit sent by hand with the session and its CSRF token is still refused
        status = await page.evaluate("""async ([url]) => (await fetch(url, {method: 'PATCH',
            headers: {'Content-Type': 'application/json',
                      'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content},
            body: JSON.stringify({title: 'changed'})})).status""", [f"/api/v1/projects/{pid}/cases/{case['id']}"])
        assert status == 403
        assert (await api.get(f"/api/v1/projects/{pid}/cases/{case['id']}")).json()["title"] == "Look only"
    finally:
        await context.close()
