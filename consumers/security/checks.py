"""What a passive scan looks for, from what the target answered. Pure functions: each returns
findings with a check id, severity, title, evidence and remediation."""

import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from cognitest.schemas.enums import Severity

REDIRECT_PARAMS = ("next", "url", "redirect", "redirect_uri", "redirect_url", "return", "return_to", "returnTo",
                   "continue", "dest", "destination", "goto", "target", "rurl")
PROBE_HOST = "cognitest-redirect-probe.invalid"
CSRF_NAMES = re.compile(r"csrf|xsrf|authenticity|__requestverificationtoken|_token", re.I)
VERSIONED = re.compile(r"\d+(\.\d+)+")


@dataclass(frozen=True)
class Finding:
    check: str
    severity: Severity
    title: str
    evidence: str
    remediation: str
    where: str = ""  # what the finding is about (a cookie, a form ...), part of its identity

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "severity": self.severity.value, "title": self.title, "evidence": self.evidence,
                "remediation": self.remediation, "where": self.where}


@dataclass
class Page:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: str = ""
    set_cookies: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def header_findings(page: Page) -> list[Finding]:
    found: list[Finding] = []
    csp = page.header("content-security-policy")
    if not csp:
        found.append(Finding("missing-csp", Severity.medium, "No Content-Security-Policy header",
                             f"GET {page.url} answered without Content-Security-Policy",
                             "Send a Content-Security-Policy that allows only the sources the page needs "
                             "(start from default-src 'self')."))
    if (page.header("x-content-type-options") or "").lower() != "nosniff":
        found.append(Finding("missing-nosniff", Severity.low, "No X-Content-Type-Options: nosniff",
                             f"X-Content-Type-Options is {page.header('x-content-type-options')!r}",
                             "Send X-Content-Type-Options: nosniff so browsers do not guess content types."))
    if not page.header("x-frame-options") and "frame-ancestors" not in (csp or ""):
        found.append(Finding("clickjacking", Severity.medium, "The page can be framed by any site (clickjacking)",
                             "neither X-Frame-Options nor CSP frame-ancestors is set",
                             "Send Content-Security-Policy: frame-ancestors 'none' (or 'self'), or X-Frame-Options: DENY."))
    if not page.header("referrer-policy"):
        found.append(Finding("missing-referrer-policy", Severity.low, "No Referrer-Policy header",
                             "Referrer-Policy is not set", "Send Referrer-Policy: strict-origin-when-cross-origin "
                             "(or no-referrer) so URLs with tokens do not leak to other sites."))
    if urlsplit(page.url).scheme == "https" and not page.header("strict-transport-security"):
        found.append(Finding("missing-hsts", Severity.medium, "No Strict-Transport-Security on an HTTPS page",
                             "Strict-Transport-Security is not set",
                             "Send Strict-Transport-Security: max-age=31536000; includeSubDomains."))
    return found


def banner_findings(page: Page) -> list[Finding]:
    found: list[Finding] = []
    for name in ("server", "x-powered-by", "x-aspnet-version", "x-aspnetmvc-version"):
        value = page.header(name)
        if value and (name != "server" or VERSIONED.search(value)):
            found.append(Finding("server-banner", Severity.low, f"The {name} header discloses the software",
                                 f"{name}: {value[:200]}", f"Remove the {name} header or its version number; it "
                                 "tells attackers which exploits to try.", where=name))
    return found


def cookie_findings(page: Page) -> list[Finding]:
    found: list[Finding] = []
    https = urlsplit(page.url).scheme == "https"
    for raw in page.set_cookies:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(raw)
        except Exception:  # noqa: BLE001  an unparsable cookie is the site's problem, not the scan's
            continue
        lowered = raw.lower()
        for name in jar:
            if "httponly" not in lowered:
                found.append(Finding("cookie-httponly", Severity.medium, f"Cookie {name} is readable by scripts",
                                     f"Set-Cookie: {raw[:200]}", "Add HttpOnly so injected scripts cannot steal it.",
                                     where=name))
            if https and "secure" not in re.split(r";\s*", lowered):
                found.append(Finding("cookie-secure", Severity.medium, f"Cookie {name} may travel over plain HTTP",
                                     f"Set-Cookie: {raw[:200]}", "Add Secure.", where=name))
            if "samesite" not in lowered:
                found.append(Finding("cookie-samesite", Severity.low, f"Cookie {name} has no SameSite attribute",
                                     f"Set-Cookie: {raw[:200]}", "Add SameSite=Lax (or Strict) against CSRF.",
                                     where=name))
    return found


def content_findings(page: Page) -> list[Finding]:
    if not page.body:
        return []
    soup = BeautifulSoup(page.body, "html.parser")
    found: list[Finding] = []
    if urlsplit(page.url).scheme == "https":
        insecure = sorted({str(tag.get(attr)) for tag in soup.find_all(["script", "img", "iframe", "link", "audio",
                                                                        "video", "source", "form", "embed"])
                           for attr in ("src", "href", "action") if str(tag.get(attr) or "").startswith("http://")})
        if insecure:
            found.append(Finding("mixed-content", Severity.medium, "The HTTPS page loads content over plain HTTP",
                                 ", ".join(insecure[:5]), "Load every resource over HTTPS."))
    for index, form in enumerate(soup.find_all("form")):
        if str(form.get("method") or "get").lower() != "post":
            continue
        hidden = [str(i.get("name") or "") for i in form.find_all("input") if str(i.get("type") or "").lower() == "hidden"]
        if not any(CSRF_NAMES.search(name) for name in hidden):
            action = str(form.get("action") or page.url)
            found.append(Finding("form-csrf", Severity.medium, f"A POST form has no CSRF token ({action[:100]})",
                                 f"form #{index + 1} action={action[:200]!r}, hidden fields: {hidden or 'none'}",
                                 "Add a per-session CSRF token to the form and check it on the server "
                                 "(or rely on SameSite cookies and check Origin).", where=action[:200]))
    return found


def redirect_finding(param: str, probe_url: str, status: int, location: str | None) -> Finding | None:
    if status in (301, 302, 303, 307, 308) and location and urlsplit(location).hostname == PROBE_HOST:
        return Finding("open-redirect", Severity.high, f"Open redirect through the {param!r} parameter",
                       f"GET {probe_url} -> {status} Location: {location[:200]}",
                       "Redirect only to relative paths or to an allow-list of hosts.", where=param)
    return None
