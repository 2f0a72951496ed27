"""Pages: sign in and out, the project switcher, a project's dashboard, members, settings, the
event log."""

import hmac
import secrets
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from cognitest.infra.db import models as m
from cognitest.infra.identity.crypto import mask_document
from cognitest.infra.identity.passwords import MIN_LENGTH
from cognitest.producers.api.access import sessions
from cognitest.producers.api.access.guard import principal_of
from cognitest.producers.api.access.rate_limit import RateLimited
from cognitest.producers.api.body import MAX_OFFSET
from cognitest.producers.api.routes.nested import fetch
from cognitest.producers.api.resource import PROJECTS
from cognitest.producers.api.state import AppState, get_state
from cognitest.producers.api.routes.audit import audit_log
from cognitest.producers.api.routes.projects import members_of
from cognitest.producers.web.dashboard import dashboard
from cognitest.producers.web.render import page

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/ui", include_in_schema=False)
PROJECT = "/projects/{project_id}"


def safe_next(target: str | None) -> str:
    """Only a path on this site (no open redirect through ?next=)."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/ui/projects"
    return target


LOGIN_CSRF = "ct_login_csrf"


def _login_page(request: Request, state: AppState, status: int = 200, **context: Any) -> HTMLResponse:
    """The sign-in form with a fresh login-CSRF token, also set as a SameSite=Strict cookie: a
    form posted from another site (login CSRF: signing a victim in as the attacker) carries no
    matching pair and is refused."""
    token = secrets.token_urlsafe(24)
    oidc = state.settings.auth.oidc
    response = page(request, "login.html", status, login_csrf=token, oidc=bool(oidc.issuer and oidc.client_id),
                    **context)
    response.set_cookie(LOGIN_CSRF, token, max_age=3600, httponly=True, samesite="strict", path="/ui/login",
                        secure=sessions.secure_cookie(state, request))
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, state: State, next: str | None = Query(None, max_length=2000)) -> HTMLResponse:
    return _login_page(request, state, next=safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, state: State, email: Annotated[str, Form(max_length=255)],
                password: Annotated[str, Form(max_length=1024)], next: Annotated[str, Form(max_length=2000)] = "",
                login_csrf: Annotated[str, Form(max_length=100)] = "") -> Any:
    expected = request.cookies.get(LOGIN_CSRF, "")
    if not expected or not hmac.compare_digest(expected.encode(), login_csrf.encode()):
        return _login_page(request, state, 403, error="This sign-in form has expired or did not come from this "
                                                      "site. Please sign in again.", email=email, next=safe_next(next))
    try:
        sessions.count_attempt(state, request, email)
    except RateLimited as exc:
        return _login_page(request, state, 429, error=exc.detail, email=email, next=safe_next(next))
    account = await state.auth.store.check_password(email, password)
    if account is None:
        return _login_page(request, state, 401, error="Wrong email or password.", email=email, next=safe_next(next))
    response = RedirectResponse(safe_next(next), status_code=303)
    response.delete_cookie(LOGIN_CSRF, path="/ui/login")
    await sessions.start(state, request, response, account.id)
    return response


@router.post("/logout")
async def logout(request: Request, state: State) -> RedirectResponse:
    response = RedirectResponse("/ui/login", status_code=303)
    await sessions.end(state, request, response)
    return response


@router.get("/account", response_class=HTMLResponse)
async def account(request: Request) -> HTMLResponse:
    """Your account: change the password of a built-in account."""
    return page(request, "account.html", builtin=principal_of(request).kind == "user", min_length=MIN_LENGTH)


@router.get("/projects", response_class=HTMLResponse)
async def projects(request: Request, state: State) -> HTMLResponse:
    principal = principal_of(request)
    members = m.ProjectMember.__table__
    query = select(m.Project.id, m.Project.name, m.Project.description, m.Project.created_at,
                   members.c.role).outerjoin(members, (members.c.project_id == m.Project.id)
                                             & (members.c.user_id == principal.actor) & members.c.removed_at.is_(None)
                                             ).where(m.Project.deleted_at.is_(None)).order_by(m.Project.name)
    if principal.token_project is not None:
        query = query.where(m.Project.id == principal.token_project)
    elif not principal.instance_admin:
        query = query.where(members.c.role.is_not(None))
    async with state.sessions() as session:
        rows = list(await session.execute(query.limit(500)))
    items = [{"id": r.id, "name": r.name, "description": r.description, "created_at": r.created_at,
              "role": r.role or ("admin (instance)" if principal.instance_admin else "")} for r in rows]
    return page(request, "projects.html", projects=items)


async def project_of(state: AppState, project_id: UUID) -> dict[str, Any]:
    return await fetch(state, PROJECTS, None, project_id)


@router.get(PROJECT, response_class=HTMLResponse)
async def project_dashboard(request: Request, state: State, project_id: UUID) -> HTMLResponse:
    project = await project_of(state, project_id)
    return page(request, "dashboard.html", project=project, active="dashboard",
                data=await dashboard(state.sessions, project_id),
                recent=(await audit_log(state, project_id, actor=None, type=None, since=None, until=None, limit=15,
                                        offset=0))["items"])


@router.get(PROJECT + "/members", response_class=HTMLResponse)
async def members_page(request: Request, state: State, project_id: UUID) -> HTMLResponse:
    project = await project_of(state, project_id)
    rows = await members_of(state, project_id)
    return page(request, "members.html", project=project, active="members", members=rows)


@router.get(PROJECT + "/settings", response_class=HTMLResponse)
async def settings_page(request: Request, state: State, project_id: UUID) -> HTMLResponse:
    import json

    project = await project_of(state, project_id)
    settings = mask_document(project.get("settings") or {})
    tokens = await state.auth.store.list_tokens(project_id)
    return page(request, "settings.html", project=project, active="settings", tokens=tokens,
                notifications=json.dumps(settings.get("notifications") or {"rules": []}, indent=2),
                integrations=json.dumps(settings.get("integrations") or {}, indent=2),
                targets=json.dumps(settings.get("targets") or {}, indent=2))


@router.get(PROJECT + "/events", response_class=HTMLResponse)
async def events_page(request: Request, state: State, project_id: UUID,
                      type: str | None = Query(None, max_length=128, pattern=r"^[a-z_.*]*$"),
                      actor: str | None = Query(None, max_length=255), since: str | None = Query(None, max_length=40),
                      offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> HTMLResponse:
    project = await project_of(state, project_id)
    try:
        start = datetime.fromisoformat(since) if since else None
    except ValueError:
        start = None
    found = await audit_log(state, project_id, actor=actor or None, type=type or None, since=start, until=None,
                            limit=100, offset=offset)
    rows, total = found["items"], found["total"]
    return page(request, "events.html", project=project, active="events", events=rows, total=total, offset=offset,
                filters={"type": type or "", "actor": actor or "", "since": since or ""})


