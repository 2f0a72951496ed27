"""The one dependency every route runs: find the route in the permission table, authenticate the
caller, check CSRF for browser sessions, and check the caller's role in the route's project.

Outsiders get 404 for a project (as if it did not exist: no existence leak); members without
the permission get 403. The caller and their role are left on `request.state` for the route."""

import hmac
from uuid import UUID

from fastapi import Request
from sqlalchemy import select

from cognitest.infra.db import models as m
from cognitest.infra.identity.permissions import Permission, allows
from cognitest.producers.api.access.authenticate import Unauthenticated
from cognitest.producers.api.access.principal import Principal
from cognitest.producers.api.access.routes import ADMIN, PERSON, PUBLIC, SIGNED_IN, access_for
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.state import AppState, get_state
from cognitest.schemas.enums import Role

SAFE = {"GET", "HEAD", "OPTIONS"}
members = m.ProjectMember.__table__


async def role_in(state: AppState, principal: Principal, project_id: UUID) -> Role | None:
    """The caller's role in a project, or None when they are not in it."""
    if principal.instance_admin:
        return Role.owner
    if principal.kind == "token":
        return principal.token_role if principal.token_project == project_id else None
    async with state.sessions() as session:
        value = await session.scalar(select(members.c.role).where(
            members.c.project_id == project_id, members.c.user_id == principal.actor, members.c.removed_at.is_(None)))
    return Role(value) if value else None


def not_found(project_id: object) -> ApiError:
    return ApiError(404, f"no project {project_id}")


async def require(state: AppState, principal: Principal, project_id: UUID, permission: Permission) -> Role:
    role = await role_in(state, principal, project_id)
    if role is None:
        raise not_found(project_id)
    if not allows(role, permission):
        raise ApiError(403, f"your role in this project ({role.value}) does not allow {permission.value}")
    return role


async def authorize(request: Request) -> None:
    route = request.scope.get("route")
    access = access_for(request.method, getattr(route, "path", ""))
    if access is None:  # deny by default
        raise ApiError(403, "this route has no entry in the permission table")
    if access == PUBLIC:
        return
    state = get_state(request)
    principal = await state.auth.principal(request)
    if principal is None:
        raise Unauthenticated("sign in, or send `Authorization: Bearer <token>`")
    if principal.csrf is not None and request.method not in SAFE:
        sent = request.headers.get("x-csrf-token", "")
        if not sent and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            sent = str((await request.form()).get("csrf_token") or "")  # a plain HTML form post
        if not hmac.compare_digest(sent.encode(), principal.csrf.encode()):
            raise ApiError(403, "missing or wrong X-CSRF-Token (or csrf_token form field) for this session")
    request.state.principal = principal
    if access == SIGNED_IN:
        return
    if access == PERSON:
        if not principal.is_person:
            raise ApiError(403, "API tokens work inside their project; a person must do this")
        return
    if access == ADMIN:
        if not principal.instance_admin:
            raise ApiError(403, "only the instance admin may do this")
        return
    raw = request.path_params.get("project_id")
    try:
        project_id = UUID(str(raw))
    except ValueError:
        raise not_found(raw) from None
    request.state.role = await require(state, principal, project_id, Permission(access))


def principal_of(request: Request) -> Principal:
    return request.state.principal
