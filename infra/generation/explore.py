"""Exploring a running web application for app-aware generation: breadth first from its base URL,
same origin only, at most `max_pages` pages, following links and never submitting a form or
clicking a button; links that look destructive (log out, delete, remove ...) are not followed
unless the request allows it. Every request passes the project's target policy (the execution
guard), like a run's. Each page gives its title and the elements a test binds to: role,
accessible name, label, placeholder, input type, required, form."""

import re
from collections import deque
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import structlog

from cognitest.infra.browser import CHROMIUM_ARGS, system_chromium
from cognitest.infra.execution_guard import TargetPolicy, TargetRefused
from cognitest.schemas.exploration import AppMap, AppPage, AppTarget, PageElement

log = structlog.get_logger(__name__)
_DESTRUCTIVE = re.compile(r"\b(log ?out|sign ?out|delete|remove|destroy|cancel|unsubscribe|deactivate|close (my )?account|"
                          r"reset|drop|purge|wipe)\b|/(logout|signout|delete|remove|destroy)\b", re.IGNORECASE)
_FILES = re.compile(r"\.(pdf|zip|gz|tar|png|jpe?g|gif|svg|mp4|mp3|exe|dmg|csv|xlsx?)$", re.IGNORECASE)

# roles as the browser computes them for the common cases; names from labels, aria-label, text
_EXTRACT = """() => {
  const forms = Array.from(document.forms);
  const norm = s => (s || '').replace(/\\s+/g, ' ').trim().slice(0, 300);
  const inputRoles = {checkbox: 'checkbox', radio: 'radio', submit: 'button', button: 'button', reset: 'button',
                      search: 'searchbox', hidden: null, image: 'button', file: 'button'};
  const out = [];
  for (const el of document.querySelectorAll('a[href], button, input, select, textarea, h1, h2, h3, li, [role]')) {
    if (el.closest('[hidden], [aria-hidden=true]')) continue;
    const tag = el.tagName.toLowerCase();
    const type = (el.getAttribute('type') || '').toLowerCase();
    let role = el.getAttribute('role');
    if (!role) {
      if (tag === 'a') role = 'link'; else if (tag === 'button') role = 'button';
      else if (tag === 'select') role = 'combobox'; else if (tag === 'textarea') role = 'textbox';
      else if (/^h[1-6]$/.test(tag)) role = 'heading'; else if (tag === 'li') role = 'listitem';
      else if (tag === 'input') role = type in inputRoles ? inputRoles[type] : 'textbox';
    }
    if (!role) continue;
    const field = ['input', 'select', 'textarea'].includes(tag) && !['submit', 'button', 'reset', 'image'].includes(type);
    const label = field ? norm((el.labels && el.labels.length ? el.labels[0].innerText : '') || el.getAttribute('aria-label')) : '';
    const name = label || norm(el.getAttribute('aria-label')) ||
                 (tag === 'input' ? norm(el.value) : norm(el.innerText));
    out.push({role, name, label: label || null, placeholder: el.getAttribute('placeholder'),
              input_type: field ? (tag === 'input' ? (type || 'text') : tag) : null, required: !!el.required,
              href: tag === 'a' ? el.href : null, form: el.form ? forms.indexOf(el.form) : null});
  }
  return {title: document.title, elements: out.slice(0, 300)};
}"""


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path or "/", parts.query, ""))


async def explore(target: AppTarget, policy: TargetPolicy, chromium_path: str | None, timeout_ms: int = 15_000) -> AppMap:
    from playwright.async_api import async_playwright

    base = str(target.base_url)
    app = AppMap(base_url=base)
    try:
        policy.check(base)
    except TargetRefused as exc:
        app.error = f"the base URL is refused by the project's target rules: {exc}"
        return app
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=system_chromium(chromium_path), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context()

            async def guard(route: Any) -> None:
                try:
                    policy.check(route.request.url)
                except TargetRefused:
                    await route.abort("blockedbyclient")
                    return
                await route.continue_()

            await context.route("**/*", guard)
            page = await context.new_page()
            page.set_default_timeout(timeout_ms)
            queue, seen = deque([base]), {_path(base)}
            while queue and len(app.pages) < target.max_pages:
                url = queue.popleft()
                try:
                    response = await page.goto(url, wait_until="domcontentloaded")
                except Exception as exc:  # noqa: BLE001  a page that does not load is reported, not fatal
                    app.skipped.append(f"{_path(url)}: {type(exc).__name__}")
                    continue
                if response is not None and response.status >= 400:
                    app.skipped.append(f"{_path(url)}: HTTP {response.status}")
                    continue
                landed = page.url
                if not _same_origin(landed, base):
                    app.skipped.append(f"{_path(url)}: left the site for {urlsplit(landed).netloc}")
                    continue
                data = await page.evaluate(_EXTRACT)
                elements = [PageElement.model_validate(e) for e in data["elements"]]
                app.pages.append(AppPage(path=_path(landed), title=str(data["title"])[:300], elements=elements))
                seen.add(_path(landed))
                for element in elements:
                    if element.role != "link" or not element.href:
                        continue
                    href = urljoin(landed, element.href).split("#")[0]
                    if not _same_origin(href, base) or _FILES.search(urlsplit(href).path) or _path(href) in seen:
                        continue
                    seen.add(_path(href))
                    if not target.allow_destructive and (_DESTRUCTIVE.search(element.name) or _DESTRUCTIVE.search(href)):
                        app.skipped.append(f"{_path(href)}: looks destructive ({element.name!r}), not followed")
                        continue
                    queue.append(href)
        finally:
            await browser.close()
    log.info("app.explored", base_url=base, pages=len(app.pages), skipped=len(app.skipped))
    return app
