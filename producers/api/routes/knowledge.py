"""The knowledge base: ask for a project's embeddings to be rebuilt from its events."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from cognitest.producers.api.body import Body
from cognitest.producers.api.commands import accepted, envelope_for, publish
from cognitest.producers.api.routes.nested import require_project
from cognitest.producers.api.state import AppState, get_state
from cognitest.schemas.events.knowledge import KnowledgeReembedRequested

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/projects/{project_id}/knowledge", tags=["knowledge"])


class ReembedBody(Body):
    reason: str | None = Field(default=None, max_length=500)


@router.post("/reembed", status_code=202, summary="Rebuild the project's knowledge base",
             description="Publishes knowledge.reembed_requested: the knowledge consumer drops the project's points and "
                         "embeds its cases, requirements, issues and feedback again from the event stream, with the "
                         "configured embedding model (a changed model gets a collection of its own).")
async def reembed(request: Request, state: State, project_id: UUID, body: ReembedBody | None = None) -> JSONResponse:
    await require_project(state, project_id)
    event = envelope_for(request, state, KnowledgeReembedRequested(reason=body.reason if body else None), project_id)
    published, _ = await publish(state, event, wait=False)
    return accepted(event, published, project_id)
