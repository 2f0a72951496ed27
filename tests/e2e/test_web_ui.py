"""The web UI in real Chromium against the platform: sign in, the dashboard, create and edit a
case, resolve an issue, every main page passes axe-core with no serious violations, and a Viewer
sees no edit controls (and the API refuses the edit anyway). Screenshots of each page are kept in
test-artifacts/ui/."""

import uuid
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from tests.support.people import PASSWORD, create_user
from tests.support.stack import PlatformStack
from tests.support.tools import ensure_axe

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"


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

        # executable steps written in the editor: a refused step is named by the API next to the form,
        # a valid list is saved and shown
        editor = page.locator("form[data-method='PATCH']")
        await page.locator("#e-steps").fill('[{"action": "goto", "url": "file:///etc/passwd"}]')
        await editor.get_by_role("button", name="Save").click()
        await expect(editor.get_by_role("alert")).to_contain_text("only http and https URLs are allowed")
        await page.locator("#e-steps").fill('[{"action": "goto", "url": "/login"}, '
                                            '{"action": "expect_title", "text": "Sign in"}]')
        await editor.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("list", name="Executable steps")).to_contain_text("expect_title")
        saved = (await api.get(f"/api/v1/projects/{pid}/cases/{case['id']}")).json()["executable_steps"]
        assert [s["action"] for s in saved] == ["goto", "expect_title"]

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

        # keyboard: "?" lists the shortcuts, "g i" opens the issues, "/" goes to the search box
        await page.keyboard.press("?")
        await expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_contain_text("g i")
        await page.keyboard.press("Escape")
        await page.keyboard.press("g")
        await page.keyboard.press("i")
        await page.wait_for_url(f"**/ui/projects/{pid}/issues")
        await page.keyboard.press("/")
        assert await page.evaluate("document.activeElement.name") == "q"

        await page.goto(f"{base}/ui/projects/{pid}/issues/{issue['id']}")
        await page.get_by_role("button", name="Resolve").click()
        await expect(page.locator(".badge.resolved")).to_be_visible()
        await accessible(page, "issue")
        for name in ("issues", "runs", "members", "settings", "events", "requirements", "plans", "automations"):
            await page.goto(f"{base}/ui/projects/{pid}/{name}")
            await accessible(page, name)
        await page.goto(f"{base}/ui/projects")
        await accessible(page, "projects")
        # a 390 px phone: no page scrolls sideways (a wide table scrolls inside its own box) and
        # Sign out stays on screen
        await page.set_viewport_size({"width": 390, "height": 844})
        pages = ["", "/cases", f"/cases/{case['id']}", f"/issues/{issue['id']}", "/issues", "/runs", "/members",
                 "/settings", "/events", "/requirements", "/plans", "/automations"]
        for path in [f"/ui/projects/{pid}{p}" for p in pages] + ["/ui/projects", "/ui/account"]:
            await page.goto(base + path)
            width = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1], f"{path} scrolls sideways on a phone: {width[0]} px wide in {width[1]}"
            box = await page.get_by_role("button", name="Sign out").bounding_box()
            assert box and box["x"] + box["width"] <= 390, f"{path}: Sign out is off-screen"
        await page.screenshot(path=str(SHOTS / "phone-account.png"), full_page=True)
        # dark mode follows the system setting, with the same contrast
        await page.set_viewport_size({"width": 1280, "height": 900})
        await page.emulate_media(color_scheme="dark")
        for path in ("", f"/issues/{issue['id']}", "/cases"):
            await page.goto(f"{base}/ui/projects/{pid}{path}")
            await accessible(page, f"dark{path.replace('/', '-')[:20] or '-dashboard'}")
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


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


async def test_from_requirements_to_a_resolved_issue(stack: PlatformStack, api: httpx.AsyncClient, browser, demo) -> None:  # type: ignore[no-untyped-def]
    """Sign in, create a project, upload a requirement document, watch generation finish, accept one
    case and edit another, run a suite against the demo app, see a case fail live with its
    screenshot, see the issue appear, resolve it."""
    lead = await create_user(api, "flow")
    context = await browser.new_context()
    page = await context.new_page()
    base = stack.api_url
    try:
        await sign_in(page, base, lead, "/ui/projects")
        await page.get_by_label("Name").fill(f"Shop {uuid.uuid4().hex[:6]}")
        await page.get_by_role("button", name="Create project").click()
        await page.wait_for_url("**/ui/projects/*")
        pid = page.url.rstrip("/").split("/")[-1]

        await page.get_by_role("link", name="Requirements").click()
        await page.locator("#files").set_input_files(str(FIXTURES / "login_spec.md"))
        await page.get_by_role("button", name="Upload").click()
        await expect(page.get_by_role("heading", name="login_spec.md")).to_be_visible(timeout=20_000)
        await expect(page.locator("section[aria-label='login_spec.md'] .badge", has_text="parsed")).to_be_visible(timeout=30_000)
        await page.screenshot(path=str(SHOTS / "requirements.png"), full_page=True)
        await page.get_by_label("Engine").select_option("offline")
        await page.get_by_role("button", name="Generate a test plan from every parsed document").click()
        review = page.get_by_role("link", name="Review the plan")
        await expect(review).to_be_visible(timeout=60_000)  # the page follows the generation live
        await review.click()
        await expect(page.get_by_role("heading", name="Traceability")).to_be_visible()
        await page.screenshot(path=str(SHOTS / "plan-review.png"), full_page=True)

        cases = page.locator("details")
        first, second = cases.nth(0), cases.nth(1)
        first_title = (await first.locator("summary").inner_text()).split("\n")[0]
        await first.locator("summary").click()
        await first.get_by_role("button", name="Accept", exact=True).click()
        await expect(page.locator("details").nth(0).locator(".badge.accepted")).to_be_visible()
        await page.locator("details").nth(1).locator("summary").click()
        second = page.locator("details").nth(1)
        await second.get_by_label("Title").fill("Edited by the lead")
        await second.get_by_role("button", name="Save edit").click()
        await expect(page.get_by_text("Edited by the lead").first).to_be_visible()
        verdicts = (await api.get(f"/api/v1/projects/{pid}/feedback")).json()["items"]
        assert sorted(v["verdict"] for v in verdicts) == ["accepted", "modified"]
        assert first_title

        # a web suite against the demo app: one case fails
        suite = (await api.post(f"/api/v1/projects/{pid}/suites", params={"wait": "true"}, json={"name": "Web smoke"})).json()
        await api.post(f"/api/v1/projects/{pid}/cases", params={"wait": "true"}, json={
            "title": "the list shows four products", "suite_id": suite["id"],
            "executable_steps": [{"action": "goto", "url": "/list"},
                                 {"action": "expect_count", "target": {"test_id": "product"}, "count": 4}]})
        await api.post(f"/api/v1/projects/{pid}/cases", params={"wait": "true"}, json={
            "title": "the invoice reads well", "suite_id": suite["id"]})  # no executable steps: done by hand
        await page.goto(f"{base}/ui/projects/{pid}/runs")
        await page.get_by_label("Suite").select_option(label="Web smoke")
        await page.get_by_label("Environment base URL").fill(demo.url)
        await page.get_by_role("button", name="Start").click()
        await page.wait_for_url("**/runs/*")
        failure = page.get_by_role("article", name="Failure of the list shows four products")
        await expect(failure).to_be_visible(timeout=90_000)  # live: the page refreshes as the run goes
        await expect(failure.get_by_role("img")).to_be_visible()
        assert await failure.get_by_role("img").evaluate("img => img.naturalWidth") > 0  # the screenshot loads
        await expect(failure.get_by_role("link", name="Download trace")).to_be_visible()
        manual = page.locator("form", has=page.get_by_label("Result of the invoice reads well"))
        await manual.get_by_label("Result of the invoice reads well").select_option("passed")
        await manual.get_by_label("Comment").fill("checked by hand")
        await manual.get_by_role("button", name="Record").click()
        recorded = page.locator("tr", has_text="the invoice reads well")
        await expect(recorded.locator(".badge.passed")).to_be_visible(timeout=30_000)  # live, in place of "manual"
        await expect(recorded).to_have_count(1)
        await page.screenshot(path=str(SHOTS / "run.png"), full_page=True)

        await page.get_by_role("link", name="Issues", exact=True).click()
        issue = page.locator("#issue-rows a").first
        await expect(issue).to_be_visible(timeout=60_000)  # triage opens it; the list follows live
        await issue.click()
        await page.get_by_role("button", name="Resolve").click()
        await expect(page.locator(".badge.resolved")).to_be_visible()
        await page.screenshot(path=str(SHOTS / "issue-resolved.png"), full_page=True)
    finally:
        await context.close()


async def test_signing_in_through_the_identity_provider(stack: PlatformStack, api: httpx.AsyncClient, browser,
                                                        outside) -> None:  # type: ignore[no-untyped-def]
    person = outside.idp.browser_user
    project = (await api.post("/api/v1/projects", params={"wait": "true"}, json={"name": "via the IdP"})).json()
    await api.post(f"/api/v1/projects/{project['id']}/members", params={"wait": "true"},
                   json={"user_id": person, "role": "editor"})
    context = await browser.new_context()
    page = await context.new_page()
    try:
        await page.goto(f"{stack.api_url}/ui/projects/{project['id']}")
        await page.get_by_role("link", name="Sign in with your organisation's account").click()
        await page.wait_for_url(f"**/ui/projects/{project['id']}")  # through the provider and back, PKCE and all
        await expect(page.get_by_text(f"{person} (editor)")).to_be_visible()
        await expect(page.get_by_role("heading", name="via the IdP")).to_be_visible()
    finally:
        await context.close()
    async with httpx.AsyncClient(base_url=stack.api_url) as stranger:  # a callback that did not start here
        forged = await stranger.get("/ui/oidc/callback", params={"code": "stolen", "state": "guess"})
        assert forged.status_code == 400 and "sign in again" in forged.text


async def test_an_approval_is_answered_on_the_automation_page(stack: PlatformStack, api: httpx.AsyncClient,
                                                              browser, outside) -> None:  # type: ignore[no-untyped-def]
    """An execution waiting at an approval is approved with a comment in the browser; the automation
    goes on down its `approved` edge and the step records who decided, with the comment."""
    from tests.integration.test_automations import create, execution

    owner = await create_user(api, "approver")
    project = (await api.post("/api/v1/projects", params={"wait": "true"},
                              json={"name": f"Approvals {uuid.uuid4().hex[:6]}", "owner_id": owner})).json()
    pid = project["id"]
    flow = await create(api, pid, {
        "nodes": [{"id": "start", "type": "trigger.manual"},
                  {"id": "review", "type": "approval", "config": {"prompt": "Ship release 4.2?"}},
                  {"id": "yes", "type": "slack", "config": {"text": "shipped ({{ execution.url }})",
                                                            "webhook_url": f"{outside.url}/slack/{pid}"}}],
        "edges": [{"source": "start", "target": "review"}, {"source": "review", "target": "yes", "label": "approved"}]})
    started = (await api.post(f"/api/v1/projects/{pid}/automations/{flow['id']}/run", json={"input": {}})).json()
    await execution(api, pid, started["execution_id"], statuses=("waiting",))
    context = await browser.new_context(bypass_csp=True)
    page = await context.new_page()
    try:
        await sign_in(page, stack.api_url, owner, f"/ui/projects/{pid}/automations/{flow['id']}")
        await expect(page.get_by_text("Waiting for approval: Ship release 4.2?")).to_be_visible()
        await accessible(page, "approval")
        form = page.locator("form").filter(has=page.get_by_role("button", name="Approve"))
        await form.get_by_label("Comment (approve)").fill("release notes checked")
        await form.get_by_role("button", name="Approve").click()
        await expect(form.get_by_role("alert")).to_contain_text("Approved")
    finally:
        await context.close()
    done = await execution(api, pid, started["execution_id"])
    review = next(s for s in done["steps"] if s["node"] == "review" and s["status"] != "waiting")
    assert done["status"] == "completed" and review["output"]["approved"] is True
    assert review["output"]["comment"] == "release notes checked" and review["output"]["by"] == owner
    [told] = [m.body["text"] for m in outside.at(f"/slack/{pid}")]
    assert told == f"shipped ({stack.api_url}/ui/projects/{pid}/automations/{flow['id']})"
