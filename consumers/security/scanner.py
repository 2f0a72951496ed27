"""Running a passive scan: fetch the page (every hop through the project's target guard), look at
TLS for https, probe redirect parameters, and collect the findings of every check."""

import asyncio
import socket
import ssl
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit, urlunsplit, parse_qsl

import httpx

from cognitest.consumers.security.checks import (
    PROBE_HOST,
    REDIRECT_PARAMS,
    Finding,
    Page,
    banner_findings,
    content_findings,
    cookie_findings,
    header_findings,
    redirect_finding,
)
from cognitest.infra.execution_guard import TargetPolicy
from cognitest.schemas.enums import Severity

WEAK_PROTOCOLS = {"TLSv1", "TLSv1.1", "SSLv3", "SSLv2"}


async def scan(url: str, policy: TargetPolicy, extra_params: list[str], timeout: float = 15.0) -> list[Finding]:
    policy.check(url)

    async def guard(request: httpx.Request) -> None:
        policy.check(str(request.url))

    findings: list[Finding] = []
    async with httpx.AsyncClient(timeout=timeout, verify=False, follow_redirects=True,  # noqa: S501  TLS is judged apart
                                 event_hooks={"request": [guard]}) as client:
        response = await client.get(url)
        cookies = [value for r in [*response.history, response] for value in r.headers.get_list("set-cookie")]
        page = Page(str(response.url), response.status_code, list(response.headers.multi_items()),
                    response.text if "html" in response.headers.get("content-type", "") else "", cookies)
        findings += header_findings(page) + banner_findings(page) + cookie_findings(page) + content_findings(page)
        for param in dict.fromkeys([*REDIRECT_PARAMS, *extra_params]):
            probe = _with_param(url, param, f"https://{PROBE_HOST}/")
            try:
                answer = await client.get(probe, follow_redirects=False)
            except httpx.HTTPError:
                continue
            finding = redirect_finding(param, probe, answer.status_code, answer.headers.get("location"))
            if finding:
                findings.append(finding)
    if urlsplit(url).scheme == "https":
        findings += await asyncio.to_thread(tls_findings, url, timeout)
    return findings


def _with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name] + [(name, value)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def tls_findings(url: str, timeout: float) -> list[Finding]:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    found: list[Finding] = []
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                ssl.create_default_context().wrap_socket(raw, server_hostname=host) as tls:
            cert = tls.getpeercert() or {}
            expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), UTC) if "notAfter" in cert else None
            if expires and (expires - datetime.now(UTC)).days < 14:
                found.append(Finding("tls-expiring", Severity.medium, "The TLS certificate expires within 14 days",
                                     f"notAfter {expires.isoformat()}", "Renew the certificate (automate it)."))
    except ssl.SSLCertVerificationError as exc:
        found.append(Finding("tls-untrusted", Severity.high, "The TLS certificate is not trusted",
                             f"{host}:{port}: {exc.verify_message or exc}",
                             "Serve a certificate from a trusted CA that matches the host name."))
    except (OSError, ssl.SSLError):
        pass  # the protocol check below reports what it can
    weak = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    weak.check_hostname, weak.verify_mode = False, ssl.CERT_NONE
    weak.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                weak.wrap_socket(raw, server_hostname=host) as tls:
            version = tls.version() or ""
    except (OSError, ssl.SSLError):
        return found
    if version in WEAK_PROTOCOLS:
        found.append(Finding("tls-protocol", Severity.high, f"The server negotiates {version}",
                             f"{host}:{port} negotiated {version}", "Allow TLS 1.2 and 1.3 only."))
    return found
