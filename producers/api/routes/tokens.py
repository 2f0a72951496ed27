"""API tokens for CI and scripts: scoped to one project and one role (at most the creator's),
optionally expiring, revocable; the secret is shown once and only its digest is kept."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import Field

from cognitest.infra.identity.permissions import at_most
from cognitest.producers.api.access.guard import principal_of
from cognitest.producers.api.body import Body
from cognitest.producers.api.commands import envelope_for
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.routes.nested import require_project
from cognitest.producers.api.state import AppState, get_state
from cognitest.schemas.enums import Role
from cognitest.schemas.events.identity import TokenCreated, TokenRevoked
from cognitest.schemas.numbers import JsonInt

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/projects/{project_id}/tokens", tags=["tokens"])


class TokenBody(Body):
    name: str = Field(min_length=1, max_length=255, description="what uses it, e.g. `github-actions`")
    role: Role = Field(default=Role.editor, description="at most your own role in the project")
    expires_in_days: Annotated[JsonInt, Field(ge=1, le=3650)] | None = Field(default=90, description="null = never expires")


@router.post("", status_code=201, summary="Create an API token (shown once)",
             description="The answer's `token` is the only time the secret is shown; send it as "
                         "`Authorization: Bearer <token>`. Rate-limited per caller (429). Records token.created.")
async def create_token(request: Request, state: State, project_id: UUID, body: TokenBody) -> JSONResponse:
    principal = principal_of(request)
    await require_project(state, project_id)
    if not at_most(request.state.role, body.role):
        raise ApiError(403, f"a token cannot have more than your own role ({request.state.role.value})")
    state.token_limit.hit(f"actor:{principal.actor}")  # 429 when over the limit
    expires = datetime.now(UTC) + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    view, secret = await state.auth.store.create_token(project_id, body.name, body.role.value, principal.actor, expires)
    await state.publisher.publish(envelope_for(request, state, TokenCreated(
        token_id=view["id"], name=body.name, role=body.role, expires_at=expires), project_id))
    return JSONResponse(jsonable_encoder({**view, "token": secret}), status_code=201)


@router.get("", summary="List the project's API tokens (never their secrets)")
async def list_tokens(state: State, project_id: UUID) -> dict[str, Any]:
    return {"items": jsonable_encoder(await state.auth.store.list_tokens(project_id))}


@router.delete("/{token_id}", summary="Revoke an API token (it stops working at once)")
async def revoke_token(request: Request, state: State, project_id: UUID, token_id: UUID) -> dict[str, Any]:
    view = await state.auth.store.revoke_token(project_id, token_id)
    if view is None:
        raise ApiError(404, f"no token {token_id} in this project")
    await state.publisher.publish(envelope_for(request, state, TokenRevoked(token_id=token_id), project_id))
    return jsonable_encoder(view)
