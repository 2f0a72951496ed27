"""A run as a self-contained HTML report: GET .../runs/{run_id}/report (a download)."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from cognitest.infra.insight.report import RunNotFound, run_report
from cognitest.producers.api.downloads import attachment
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.state import AppState, get_state

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["runs"])


@router.get("/runs/{run_id}/report", summary="A run as a self-contained HTML report",
            description="One HTML file to send to anyone: the run's totals as an inline chart (with a table), what "
                        "changed since the run before it on the same branch, every result with its error. No "
                        "script, no network request; prints to PDF as it is (`cognitest runs report --pdf`). The "
                        "run's variables are never in it.",
            response_class=HTMLResponse,
            responses={200: {"content": {"text/html": {}}, "description": "the report, as an attachment"},
                       404: {"description": "no such run"}})
async def report(state: State, project_id: UUID, run_id: UUID) -> HTMLResponse:
    async with state.sessions() as session:
        try:
            name, html = await run_report(session, project_id, run_id)
        except RunNotFound as exc:
            raise ApiError(404, str(exc)) from None
    return HTMLResponse(html, headers=attachment(name))
