"""The passive scanner against a local app with known weaknesses (HTTP and HTTPS with a
self-signed certificate) and a hardened page."""

import pytest

from cognitest.consumers.security.scanner import scan
from cognitest.infra.execution_guard import TargetPolicy, TargetRefused
from cognitest.schemas.enums import Severity
from tests.support.weak_app import WeakApp

LOCAL = TargetPolicy(allow_private=True)


@pytest.fixture(scope="module")
def weak():  # type: ignore[no-untyped-def]
    app = WeakApp()
    yield app
    app.close()


async def test_the_weak_app_over_http(weak: WeakApp) -> None:
    findings = await scan(weak.url + "/", LOCAL, [])
    by_check = {}
    for f in findings:
        by_check.setdefault(f.check, []).append(f)
    assert set(by_check) == {"missing-csp", "missing-nosniff", "clickjacking", "missing-referrer-policy",
                             "server-banner", "cookie-httponly", "cookie-samesite", "form-csrf", "open-redirect"}
    assert {f.where for f in by_check["server-banner"]} == {"server", "x-powered-by"}
    assert "Apache/2.4.1" in by_check["server-banner"][0].evidence or "Apache/2.4.1" in by_check["server-banner"][1].evidence
    redirect = by_check["open-redirect"][0]
    assert redirect.severity == Severity.high and redirect.where == "next" and "cognitest-redirect-probe" in redirect.evidence
    assert len(by_check["form-csrf"]) == 1 and "/transfer" in by_check["form-csrf"][0].evidence  # the GET form is fine
    assert all(f.remediation and f.evidence for f in findings)
    assert "mixed-content" not in by_check and "missing-hsts" not in by_check  # only on https


async def test_the_weak_app_over_https(weak: WeakApp) -> None:
    checks = {f.check: f for f in await scan(weak.secure_url + "/", LOCAL, [])}
    assert {"tls-untrusted", "missing-hsts", "mixed-content", "cookie-secure"} <= set(checks)
    assert checks["tls-untrusted"].severity == Severity.high
    assert "http://cdn.weak.test/jquery.js" in checks["mixed-content"].evidence


async def test_a_hardened_page_raises_nothing(weak: WeakApp) -> None:
    assert await scan(weak.url + "/safe", LOCAL, ["return"]) == []


async def test_scans_obey_the_target_guard(weak: WeakApp) -> None:
    with pytest.raises(TargetRefused):
        await scan(weak.url + "/", TargetPolicy(), [])
    with pytest.raises(TargetRefused):
        await scan("http://169.254.169.254/", LOCAL, [])
