"""Two runs side by side: GET .../runs/{run_id}/compare (against the run before it on the same
branch, or `?base=` any other run of the project)."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder

from cognitest.infra.db import models as m
from cognitest.infra.insight.compare import compare
from cognitest.infra.insight.runs import outcomes, previous
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.state import AppState, get_state

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["runs"])


def _summary(run: m.Run) -> dict[str, Any]:
    return {"id": run.id, "name": run.name, "status": run.status, "branch": run.branch, "commit": run.commit,
            "created_at": run.created_at, "totals": run.totals}


@router.get("/runs/{run_id}/compare", summary="Compare a run with another",
            description="What newly fails, what was fixed, what still fails, flaky, not checked (skipped, "
                        "unverified, manual), added and removed cases, and cases much slower or faster "
                        "(x1.5 and 200 ms). `base` unset = the run before this one on the same branch. Counts "
                        "are complete; each list holds at most 200 entries (`truncated`).",
            responses={404: {"description": "no such run, or no earlier run to compare with"}})
async def compare_runs(state: State, project_id: UUID, run_id: UUID,
                       base: UUID | None = Query(None, description="the run to compare with")) -> dict[str, Any]:
    async with state.sessions() as session:
        head = await session.get(m.Run, run_id)
        if head is None or head.project_id != project_id or head.deleted_at is not None:
            raise ApiError(404, f"run {run_id} not found")
        if base is None:
            other = await previous(session, head)
            if other is None:
                where = f" on branch {head.branch!r}" if head.branch else ""
                raise ApiError(404, f"run {run_id} has no earlier ended run{where} to compare with; pass ?base=<run id>")
        else:
            other = await session.get(m.Run, base)
            if other is None or other.project_id != project_id or other.deleted_at is not None:
                raise ApiError(404, f"run {base} not found")
        before, after = await outcomes(session, other.id), await outcomes(session, head.id)
    return jsonable_encoder({"head": _summary(head), "base": _summary(other), **compare(before, after)})
