"""Web steps through Playwright (async API): one browser per run, a fresh context per case,
tracing on, a screenshot and the trace kept when a case fails, console errors and failed
network requests in the case log, every request checked by the execution guard."""


import asyncio
import re
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Locator, Page, Playwright, async_playwright
from playwright.async_api import expect as pw_expect

from cognitest.consumers.execution.api_runner import StepFailed
from cognitest.consumers.execution.uploads import ProjectFiles, upload_payloads
from cognitest.consumers.execution.variables import Unresolved, render, require_resolved
from cognitest.infra.browser import CHROMIUM_ARGS, system_chromium
from cognitest.infra.execution_guard import TargetPolicy, TargetRefused

class WebBrowsers:
    """Browsers for one run, launched on first use."""

    def __init__(self, chromium_path: str | None, headless: bool = True) -> None:
        self.chromium_path = chromium_path
        self.headless = headless
        self._pw: Playwright | None = None
        self._browsers: dict[str, Browser] = {}

    async def browser(self, name: str) -> Browser:
        if self._pw is None:
            self._pw = await async_playwright().start()
        if name not in self._browsers:
            kind = getattr(self._pw, name)
            if name == "chromium":
                path = system_chromium(self.chromium_path)
                self._browsers[name] = await kind.launch(headless=self.headless, executable_path=path, args=CHROMIUM_ARGS)
            else:
                self._browsers[name] = await kind.launch(headless=self.headless)
        return self._browsers[name]

    async def close(self) -> None:
        for browser in self._browsers.values():
            await browser.close()
        if self._pw is not None:
            await self._pw.stop()


def locate(page: Page, target: dict[str, Any], variables: dict[str, Any]) -> Locator:
    t = render(target, variables)
    if t.get("role"):
        return page.get_by_role(t["role"], name=t.get("name")) if t.get("name") else page.get_by_role(t["role"])
    if t.get("label"):
        return page.get_by_label(t["label"])
    if t.get("text"):
        return page.get_by_text(t["text"])
    if t.get("test_id"):
        return page.get_by_test_id(t["test_id"])
    if t.get("css"):
        return page.locator(t["css"])
    if t.get("xpath"):
        return page.locator(f"xpath={t['xpath']}")
    if t.get("placeholder"):
        return page.get_by_placeholder(t["placeholder"])
    if t.get("title"):
        return page.get_by_title(t["title"])
    raise StepFailed(f"a web step cannot use target {t}")


class WebCase:
    def __init__(self, context: BrowserContext, page: Page, base_url: str | None, variables: dict[str, Any],
                 timeout_ms: int, workdir: Path, policy: TargetPolicy = TargetPolicy(),
                 blocked: list[str] | None = None, fixtures: Path | None = None,
                 files: ProjectFiles | None = None) -> None:
        self.policy = policy
        self.fixtures = fixtures
        self.files = files
        self.blocked = blocked if blocked is not None else []
        self.context = context
        self.page = page
        self.base_url = (base_url or "").rstrip("/")
        self.variables = variables
        self.timeout_ms = timeout_ms
        self.workdir = workdir
        self.shots: list[Path] = []

    @classmethod
    async def open(cls, browser: Browser, base_url: str | None, variables: dict[str, Any], timeout_ms: int,
                   policy: TargetPolicy, log: list[dict[str, Any]], workdir: Path,
                   fixtures: Path | None = None, files: ProjectFiles | None = None) -> "WebCase":
        context = await browser.new_context(base_url=base_url or None)
        context.set_default_timeout(timeout_ms)
        await context.tracing.start(screenshots=True, snapshots=True)

        blocked: list[str] = []

        async def guard(route: Any) -> None:
            try:
                policy.check(route.request.url)
            except TargetRefused as exc:
                log.append({"blocked": route.request.url, "reason": str(exc)})
                blocked.append(str(exc))
                await route.abort("blockedbyclient")
                return
            await route.continue_()

        await context.route("**/*", guard)
        page = await context.new_page()
        page.on("console", lambda m: log.append({"console": m.type, "text": m.text[:500]}) if m.type == "error" else None)
        page.on("requestfailed", lambda r: log.append({"request_failed": r.url, "error": r.failure}))
        page.on("pageerror", lambda e: log.append({"page_error": str(e)[:500]}))
        return cls(context, page, base_url, variables, timeout_ms, workdir, policy, blocked, fixtures, files)

    def _url(self, url: str) -> str:
        url = render(url, self.variables)
        return url if "://" in url or not self.base_url else self.base_url + ("" if url.startswith("/") else "/") + url

    async def run(self, step: dict[str, Any]) -> None:
        a, page, v = step["action"], self.page, self.variables
        expect = pw_expect
        target = (lambda: locate(page, step["target"], v)) if step.get("target") else None
        if a == "goto":
            url = self._url(step["url"])
            try:
                require_resolved("the URL", url, url=True)
            except Unresolved as exc:
                raise StepFailed(str(exc)) from None
            self.policy.check(url)
            try:
                await page.goto(url)
            except Exception as exc:  # noqa: BLE001  blocked (a redirect the guard refused) or unreachable
                if self.blocked:
                    raise TargetRefused(self.blocked[-1]) from None
                raise StepFailed(f"could not open {url}: {str(exc).splitlines()[0]}") from None
        elif a == "click":
            await target().click()
        elif a == "fill":
            await target().fill(str(render(step["value"], v)))
        elif a == "select":
            await target().select_option(str(render(step["value"], v)))
        elif a == "check":
            await target().set_checked(step.get("checked", True))
        elif a == "press":
            await (target().press(step["key"]) if target else page.keyboard.press(step["key"]))
        elif a == "hover":
            await target().hover()
        elif a == "upload":
            files = [str(render(f, v)) for f in step["files"]]
            await target().set_input_files(await upload_payloads(files, self.fixtures, self.files))  # type: ignore[arg-type]
        elif a == "wait_for":
            if target:
                await target().wait_for(state=step.get("state", "visible"), timeout=step.get("timeout_ms", 5000))
            else:
                await page.wait_for_timeout(step.get("timeout_ms", 5000))
        elif a == "expect_text":
            text = str(render(step["text"], v))
            if target:
                await (expect(target()).to_have_text(text) if step.get("exact") else expect(target()).to_contain_text(text))
            else:
                await expect(page.locator("body")).to_contain_text(text)
        elif a == "expect_visible":
            await expect(target()).to_be_visible()
        elif a == "expect_hidden":
            await expect(target()).to_be_hidden()
        elif a == "expect_value":
            await expect(target()).to_have_value(str(render(step["value"], v)))
        elif a == "expect_url":
            await self._expect_url(str(render(step["pattern"], v)))
        elif a == "reload":
            await page.reload()
        elif a == "go_back":
            await page.go_back()
        elif a == "expect_title":
            import re

            await expect(page).to_have_title(re.compile(re.escape(str(render(step["text"], v)))))
        elif a == "expect_count":
            await expect(target()).to_have_count(step["count"])
        elif a == "expect_attribute":
            await expect(target()).to_have_attribute(step["name"], str(render(step["value"], v)))
        elif a == "screenshot":
            path = self.workdir / f"{step.get('name', 'screenshot')}-{len(self.shots)}.png"
            await page.screenshot(path=str(path), full_page=True)
            self.shots.append(path)
        elif a == "set_var":
            v[step["name"]] = render(step["value"], v)
        else:
            raise StepFailed(f"{a} is not a web step")

    async def _expect_url(self, pattern: str) -> None:
        """As documented: the URL contains `pattern`, or the regular expression `pattern` is found
        in it (waiting up to the step timeout for a navigation to land)."""
        try:
            regex: re.Pattern[str] | None = re.compile(pattern)
        except re.error:
            regex = None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_ms / 1000
        while True:
            url = self.page.url
            if pattern in url or (regex is not None and regex.search(url)):
                return
            if loop.time() >= deadline:
                raise StepFailed(f"expected the URL to contain or match {pattern!r}, got {url!r}")
            await asyncio.sleep(0.1)

    async def finish(self, failed: bool) -> list[tuple[str, Path]]:
        """Close the case; on failure keep a screenshot and the trace."""
        kept: list[tuple[str, Path]] = [("screenshot", p) for p in self.shots]
        if failed:
            shot = self.workdir / "failure.png"
            try:
                await self.page.screenshot(path=str(shot), full_page=True)
                kept.append(("screenshot", shot))
            except Exception:  # noqa: BLE001  the page may be gone
                pass
            trace = self.workdir / "trace.zip"
            await self.context.tracing.stop(path=str(trace))
            kept.append(("trace", trace))
        else:
            await self.context.tracing.stop()
        await self.context.close()
        return kept


__all__ = ["WebBrowsers", "WebCase", "system_chromium"]
