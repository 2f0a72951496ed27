"""Passive security scans of a project's target: requested, then finished with a summary; each
finding is an `issue.detected` (or `issue.occurred` when it was found before)."""

from uuid import UUID

from pydantic import Field, StrictBool

from cognitest.schemas.events.common import Json, Payload
from cognitest.schemas.registry import event


@event("security.scan.requested")
class SecurityScanRequested(Payload):
    """Scan a URL passively: headers, cookies, TLS, banners, open redirects, mixed content, CSRF."""

    scan_id: UUID
    url: str = Field(min_length=1, max_length=2000, pattern=r"^https?://")
    redirect_params: list[str] = Field(default_factory=list, max_length=20,
                                       description="query parameters to probe for open redirects (common ones "
                                                   "such as next, url, redirect are always probed)")


@event("security.scan.finished")
class SecurityScanFinished(Payload):
    """A scan ended: how many findings of each severity, or why it could not run."""

    scan_id: UUID
    url: str = Field(max_length=2000)
    ok: StrictBool = True
    error: str | None = Field(default=None, max_length=2000)
    findings: list[Json] = Field(default_factory=list, description="check, severity, title, issue_id")
