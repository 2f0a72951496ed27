"""The security agent through the platform: a scan request becomes issues, one per weakness,
and scanning again finds the same issues again instead of opening new ones."""

import httpx

from tests.conftest import eventually
from tests.support.weak_app import WeakApp


async def security_issues(api: httpx.AsyncClient, pid: str) -> list[dict]:  # type: ignore[type-arg]
    r = await api.get(f"/api/v1/projects/{pid}/issues", params={"tag": "security", "limit": 100})
    return r.json()["items"]


async def test_a_scan_files_each_finding_once(api: httpx.AsyncClient, project: dict) -> None:
    pid, app = project["id"], WeakApp()
    try:
        r = await api.post(f"/api/v1/projects/{pid}/security-scans", json={"url": app.url + "/"})
        assert r.status_code == 202, r.text
        issues = await eventually(lambda: _at_least(api, pid, 10), timeout=60)
        checks = sorted(i["metadata"]["check"] for i in issues)
        assert checks == sorted(["missing-csp", "missing-nosniff", "clickjacking", "missing-referrer-policy",
                                 "server-banner", "server-banner", "cookie-httponly", "cookie-samesite", "form-csrf",
                                 "open-redirect"])
        redirect = next(i for i in issues if i["metadata"]["check"] == "open-redirect")
        assert redirect["severity"] == "high" and redirect["detected_by"] == "security"
        assert "Evidence:" in redirect["description"] and redirect["remediation_suggestions"]
        # the same scan again: the same issues, each seen twice
        again = await api.post(f"/api/v1/projects/{pid}/security-scans", json={"url": app.url + "/"})
        assert again.status_code == 202

        async def seen_twice():  # type: ignore[no-untyped-def]
            now = await security_issues(api, pid)
            return now if all(i["occurrences"] >= 2 for i in now) else None

        twice = await eventually(seen_twice, timeout=60)
        assert len(twice) == 10
        bad = await api.post(f"/api/v1/projects/{pid}/security-scans", json={"url": "file:///etc/passwd"})
        assert bad.status_code == 422
    finally:
        app.close()


async def _at_least(api: httpx.AsyncClient, pid: str, n: int) -> list[dict] | None:  # type: ignore[type-arg]
    issues = await security_issues(api, pid)
    return issues if len(issues) >= n else None
