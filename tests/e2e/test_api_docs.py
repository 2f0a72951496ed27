"""The API docs work offline under the strict content security policy: Swagger UI and ReDoc come
from packaged assets, nothing is fetched from another origin, no script runs inline."""

import httpx
import pytest

from tests.support.stack import PlatformStack


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_the_api_docs_render_from_packaged_assets(stack: PlatformStack, browser, path: str) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.api_url) as http:
        csp = (await http.get(path)).headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "http" not in csp  # no other origin is allowed
    page = await browser.new_page()
    problems: list[str] = []
    elsewhere: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    # what the browser really fetched (a request the policy blocked never leaves: ReDoc's remote logo)
    page.on("requestfinished", lambda r: elsewhere.append(r.url)
            if not r.url.startswith((stack.api_url, f"blob:{stack.api_url}")) else None)
    try:
        await page.goto(stack.api_url + path)
        await page.locator("h1, h2", has_text="Cognitest").first.wait_for(timeout=30_000)  # the API's title
        await page.get_by_text("Create a project").first.wait_for(state="attached", timeout=30_000)  # its operations
    finally:
        await page.close()
    blocked = [p for p in problems if "Content Security Policy" in p and "img-src" not in p]
    assert elsewhere == [] and blocked == [], (elsewhere, problems)  # every script and style is our own
