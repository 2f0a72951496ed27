"""Routes for projects and their members."""

import inspect
import re
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import Field, ValidationError
from sqlalchemy import select

from cognitest.infra.db import models as m
from cognitest.infra.db.queries import list_rows
from cognitest.infra.identity.crypto import mask_document, restore_masked, seal_document
from cognitest.producers.api.access.guard import principal_of
from cognitest.producers.api.access.principal import Principal
from cognitest.producers.api.body import Body
from cognitest.producers.api.commands import accepted, chosen_or_new, envelope_for, publish, wants_wait
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.resource import PROJECTS
from cognitest.producers.api.references import refuse_taken
from cognitest.producers.api.routes.nested import WAIT_DOC, build_query, fetch, list_params, with_signature
from cognitest.producers.api.state import AppState, get_state
from cognitest.schemas.enums import ProjectStatus, Role
from cognitest.schemas.events.common import Json, Name
from cognitest.schemas.integrations import ProjectIntegrations, TargetSettings
from cognitest.schemas.notifications import Notifications
from cognitest.schemas.events.projects import (
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    ProjectChanges,
    ProjectCreated,
    ProjectDeleted,
    ProjectUpdated,
)

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/projects", tags=["projects"])


EMAIL = r"^[^@\s<>\"'`]+@[^@\s<>\"'`]+$"  # an account's e-mail (admin@localhost included)


class ProjectCreate(Body):
    project_id: UUID = Field(default_factory=uuid4,
                             description="optional: choose the id yourself (409 if any project has it)")
    name: Name
    description: str | None = Field(default=None, max_length=10_000)
    status: ProjectStatus = ProjectStatus.active
    owner_id: str | None = Field(default=None, min_length=3, max_length=255, pattern=EMAIL,
                                 description="the e-mail of an account; the caller by default; only the instance "
                                             "admin may name someone else")
    team_ids: list[str] = Field(default_factory=list)
    settings: Json = Field(default_factory=dict)
    ai_context: Json = Field(default_factory=dict)



class MemberBody(Body):
    user_id: str = Field(min_length=3, max_length=255, pattern=EMAIL,
                         description="the e-mail of an account (with an identity provider, an e-mail it will "
                                     "sign in: the account is provisioned)")
    role: Role


async def require_person(state: AppState, user_id: str) -> str:
    """Only people who can sign in become members or owners: an account of this instance. With
    an identity provider configured, naming an e-mail provisions that person's account (no
    password: only the provider can sign them in, as that e-mail), so people can be added before
    their first sign-in; without one, an unknown e-mail is 404."""
    email = user_id.strip().lower()
    if not re.fullmatch(EMAIL, email):
        raise ApiError(422, "user_id: a member is named by the e-mail of their account")
    if await state.auth.store.has_account(email):
        return email
    if state.settings.auth.oidc.issuer:
        await state.auth.store.external_user(email, None, False)
        return email
    raise ApiError(404, f"no account with the e-mail {email}: create it first (cognitest users create --email ...)")


class RoleBody(Body):
    role: Role


CHECKED_SETTINGS = {"notifications": Notifications, "integrations": ProjectIntegrations, "targets": TargetSettings}


def _visible(principal: Principal) -> list[Any]:
    """Only the projects the caller is in (all of them for the instance admin)."""
    ids = PROJECTS.table.c.id
    if principal.instance_admin:
        return []
    if principal.token_project is not None:
        return [ids == principal.token_project]
    mine = select(members_table.c.project_id).where(members_table.c.user_id == principal.actor,
                                                    members_table.c.removed_at.is_(None))
    return [ids.in_(mine)]


def shown(project: dict[str, Any]) -> dict[str, Any]:
    """A project as the API shows it: integration secrets in its settings are masked."""
    return {**project, "settings": mask_document(project.get("settings") or {})}


def secured(state: AppState, settings: dict[str, Any] | None, current: dict[str, Any] | None) -> dict[str, Any] | None:
    """Settings as stored: notification rules validated, MASK kept as the stored secret, secrets sealed."""
    if settings is None:
        return None
    settings = restore_masked(dict(settings), current or {})
    for key, model in CHECKED_SETTINGS.items():
        if key not in settings:
            continue
        try:
            model.model_validate(settings[key] or {})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ApiError(422, f"settings.{key}.{where}: {first['msg']}",
                           [{"loc": ["settings", key, *e["loc"]], "msg": e["msg"]} for e in exc.errors()]) from None
    budget = settings.get("llm_budget_usd")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int | float) or budget < 0):
        raise ApiError(422, "settings.llm_budget_usd: a number of US dollars per month, 0 or more (null = no budget)")
    return seal_document(state.cipher, settings)


async def _list(request: Request, state: AppState, **params: Any) -> dict[str, Any]:
    query = build_query(PROJECTS, None, params)
    query.where.extend(_visible(principal_of(request)))
    async with state.sessions() as session:
        items, total = await list_rows(session, PROJECTS.table, query, text_column="name")
    return {"items": jsonable_encoder([shown(i) for i in items]), "total": total, "limit": params["limit"],
            "offset": params["offset"]}


kw = inspect.Parameter.KEYWORD_ONLY
router.add_api_route(
    "", with_signature(_list, [inspect.Parameter("request", kw, annotation=Request),
                              inspect.Parameter("state", kw, annotation=State)], list_params(PROJECTS)),
    methods=["GET"], summary="List projects",
)


@router.get("/{project_id}", summary="Show a project")
async def show(state: State, project_id: UUID) -> dict[str, Any]:
    return jsonable_encoder(shown(await fetch(state, PROJECTS, None, project_id)))


async def _respond(request: Request, state: AppState, event: Any, project_id: UUID, status: int) -> JSONResponse:
    published, applied = await publish(state, event, wait=wants_wait(request), resource_id=project_id)
    if applied:
        return JSONResponse(jsonable_encoder(shown(await fetch(state, PROJECTS, None, project_id))), status_code=status)
    return accepted(event, published, project_id, location=f"/api/v1/projects/{project_id}")


@router.post("", status_code=202, summary="Create a project",
             description=f"Publishes project.created; the caller becomes its owner. {WAIT_DOC}")
async def create(request: Request, state: State, body: ProjectCreate,
                 wait: bool = Query(False, description=WAIT_DOC)) -> JSONResponse:
    values = body.model_dump()
    principal = principal_of(request)
    if values["owner_id"] and values["owner_id"] != principal.actor and not principal.instance_admin:
        raise ApiError(403, "only the instance admin may create a project owned by someone else")
    if values["owner_id"] and values["owner_id"] != principal.actor:
        values["owner_id"] = await require_person(state, values["owner_id"])
    values["owner_id"] = values["owner_id"] or principal.actor
    values["settings"] = secured(state, values["settings"], None)
    project_id = values["project_id"] = chosen_or_new(request, body, "project_id", "project")
    event = envelope_for(request, state, ProjectCreated(**values), project_id)
    await refuse_taken(state, PROJECTS.table, project_id, event.id, "project")
    return await _respond(request, state, event, project_id, 201)


@router.patch("/{project_id}", status_code=202, summary="Update a project",
              description=f"Publishes project.updated; `settings` merge key by key. {WAIT_DOC}")
async def update(request: Request, state: State, project_id: UUID, body: ProjectChanges,
                 wait: bool = Query(False, description=WAIT_DOC)) -> JSONResponse:
    current = await fetch(state, PROJECTS, None, project_id)
    if body.settings is not None:
        body = body.model_copy(update={"settings": secured(state, body.settings, current.get("settings"))})
    event = envelope_for(request, state, ProjectUpdated(project_id=project_id, changes=body), project_id)
    return await _respond(request, state, event, project_id, 200)


@router.delete("/{project_id}", status_code=202, summary="Delete a project and everything in it")
async def delete(request: Request, state: State, project_id: UUID,
                 wait: bool = Query(False, description=WAIT_DOC)) -> JSONResponse:
    await fetch(state, PROJECTS, None, project_id)
    event = envelope_for(request, state, ProjectDeleted(project_id=project_id), project_id)
    published, applied = await publish(state, event, wait=wants_wait(request))
    if applied:
        return JSONResponse({"id": str(project_id), "deleted": True, "event_id": event.id})
    return accepted(event, published, project_id)


# --- members -----------------------------------------------------------------------------

members_table = m.ProjectMember.__table__


async def members_of(state: AppState, project_id: UUID) -> list[dict[str, Any]]:
    async with state.sessions() as session:
        rows = await session.execute(
            select(members_table).where(members_table.c.project_id == project_id, members_table.c.removed_at.is_(None))
            .order_by(members_table.c.created_at)
        )
    return [{"user_id": r.user_id, "role": r.role, "since": r.created_at} for r in rows]


@router.get("/{project_id}/members", summary="List a project's members", tags=["members"])
async def list_members(state: State, project_id: UUID) -> dict[str, Any]:
    await fetch(state, PROJECTS, None, project_id)
    return {"items": jsonable_encoder(await members_of(state, project_id))}


async def _member_event(request: Request, state: AppState, project_id: UUID, payload: Any, user_id: str) -> JSONResponse:
    event = envelope_for(request, state, payload, project_id)
    published, applied = await publish(state, event, wait=wants_wait(request))
    if applied:
        return JSONResponse({"items": jsonable_encoder(await members_of(state, project_id))}, status_code=200)
    return accepted(event, published, user_id)


@router.post("/{project_id}/members", status_code=202, summary="Add a member", tags=["members"])
async def add_member(request: Request, state: State, project_id: UUID, body: MemberBody,
                     wait: bool = Query(False, description=WAIT_DOC)) -> JSONResponse:
    await fetch(state, PROJECTS, None, project_id)
    user_id = await require_person(state, body.user_id)
    return await _member_event(request, state, project_id, MemberAdded(user_id=user_id, role=body.role), user_id)


@router.patch("/{project_id}/members/{user_id}", status_code=202, summary="Change a member's role", tags=["members"])
async def change_role(request: Request, state: State, project_id: UUID, user_id: str, body: RoleBody,
                      wait: bool = Query(False, description=WAIT_DOC)) -> JSONResponse:
    await _require_member(state, project_id, user_id, leaving_owner=body.role != Role.owner)
    return await _member_event(request, state, project_id, MemberRoleChanged(user_id=user_id, role=body.role), user_id)


@router.delete("/{project_id}/members/{user_id}", status_code=202, summary="Remove a member", tags=["members"])
async def remove_member(request: Request, state: State, project_id: UUID, user_id: str,
                        wait: bool = Query(False, description=WAIT_DOC)) -> JSONResponse:
    await _require_member(state, project_id, user_id, leaving_owner=True)
    return await _member_event(request, state, project_id, MemberRemoved(user_id=user_id), user_id)


async def _require_member(state: AppState, project_id: UUID, user_id: str, leaving_owner: bool = False) -> None:
    await fetch(state, PROJECTS, None, project_id)
    members = await members_of(state, project_id)
    if not any(row["user_id"] == user_id for row in members):
        raise ApiError(404, f"{user_id} is not a member of project {project_id}")
    owners = [row["user_id"] for row in members if row["role"] == Role.owner.value]
    if leaving_owner and owners == [user_id]:
        raise ApiError(409, f"{user_id} is the project's only owner; make someone else an owner first")
