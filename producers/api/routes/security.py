"""Passive security scans of a project's target URL (`security.scan.requested`); the execution
process scans through the same target guard as any test and files each finding as an issue."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from cognitest.producers.api.body import Body
from cognitest.producers.api.commands import accepted, envelope_for, new_resource_id, publish
from cognitest.producers.api.routes.nested import require_project
from cognitest.producers.api.state import AppState, get_state
from cognitest.schemas.events.security import SecurityScanRequested

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/projects/{project_id}/security-scans", tags=["security"])


class ScanBody(Body):
    url: str = Field(min_length=1, max_length=2000, pattern=r"^https?://", description="the page to scan")
    redirect_params: list[str] = Field(default_factory=list, max_length=20,
                                       description="more query parameters to probe for open redirects")


@router.post("", status_code=202, summary="Scan a URL for common weaknesses (passive)",
             description="Checks security headers, cookie flags, TLS (for https), server banners, open redirects "
                         "on common parameters, mixed content and forms without CSRF tokens. Each finding becomes "
                         "an issue (`issue.detected`, deduplicated across scans); `security.scan.finished` "
                         "summarises the scan. Publishes security.scan.requested.")
async def request_scan(request: Request, state: State, project_id: UUID, body: ScanBody) -> JSONResponse:
    await require_project(state, project_id)
    scan_id = new_resource_id(request, "security-scan")
    event = envelope_for(request, state, SecurityScanRequested(scan_id=scan_id, url=body.url,
                                                               redirect_params=body.redirect_params), project_id)
    published, _ = await publish(state, event, wait=False)
    return accepted(event, published, scan_id)
