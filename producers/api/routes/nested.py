"""Routes for the resources inside a project: plans, suites, cases, issues, API collections.

Create, update and delete publish an event and answer 202 (or 201/200 with the resource after
`?wait=true`); reads come from the read models."""

import inspect
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from fastapi.encoders import jsonable_encoder
from pydantic import Field, create_model

from cognitest.infra.db.queries import ListQuery, get_row, list_rows
from cognitest.producers.api.body import MAX_OFFSET
from cognitest.producers.api.commands import accepted, chosen_or_new, envelope_for, publish, wants_wait
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.references import refuse_taken
from cognitest.producers.api.resource import NESTED, PROJECTS, Resource
from cognitest.producers.api.state import AppState, get_state

State = Annotated[AppState, Depends(get_state)]
WAIT_DOC = "Wait until the projection has applied the event and answer with the resource."


async def require_project(state: AppState, project_id: UUID) -> dict[str, Any]:
    async with state.sessions() as session:
        project = await get_row(session, PROJECTS.table, project_id)
    if project is None:
        raise ApiError(404, f"project {project_id} not found")
    return project


async def fetch(state: AppState, res: Resource, project_id: UUID | None, item_id: UUID) -> dict[str, Any]:
    async with state.sessions() as session:
        row = await get_row(session, res.table, item_id, project_id)
    if row is None:
        raise ApiError(404, f"{res.singular} {item_id} not found")
    return row


async def check_parents(state: AppState, res: Resource, project_id: UUID, values: dict[str, Any]) -> None:
    for field_name, table in res.parents.items():
        parent_id = values.get(field_name)
        if parent_id is None:
            continue
        async with state.sessions() as session:
            if await get_row(session, table, parent_id, project_id) is None:
                raise ApiError(404, f"{field_name} {parent_id} does not exist in this project",
                               [{"loc": ["body", field_name], "msg": "not found in this project", "type": "reference"}])


def create_body(res: Resource) -> type:
    return create_model(
        f"{res.singular.capitalize()}Create", __base__=res.create,
        **{res.id_field: (UUID, Field(default_factory=uuid4, description="optional: choose the id yourself"))},
    )


def list_params(res: Resource) -> list[inspect.Parameter]:
    params = []
    for f in res.filters:
        kind = UUID if f.kind == "uuid" else f.kind
        annotation = list[kind] | None if f.many else kind | None  # type: ignore[valid-type]
        params.append(inspect.Parameter(f.param, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                                        default=Query(None, description=f.help or f"filter by {f.param}")))
    sorts = "|".join(f"-?{s}" for s in res.sorts)
    params += [
        inspect.Parameter("q", inspect.Parameter.KEYWORD_ONLY, annotation=str | None,
                          default=Query(None, max_length=200, description=f"text search in {res.text_column}")),
        inspect.Parameter("sort", inspect.Parameter.KEYWORD_ONLY, annotation=str,
                          default=Query("-created_at", pattern=f"^({sorts})$", description="field, '-' for descending")),
        inspect.Parameter("limit", inspect.Parameter.KEYWORD_ONLY, annotation=int, default=Query(50, ge=1, le=500)),
        inspect.Parameter("offset", inspect.Parameter.KEYWORD_ONLY, annotation=int, default=Query(0, ge=0, le=MAX_OFFSET)),
    ]
    return params


def build_query(res: Resource, project_id: UUID | None, params: dict[str, Any]) -> ListQuery:
    equals: dict[str, Any] = {}
    tags: list[str] = []
    for f in res.filters:
        value = params.get(f.param)
        if not value:
            continue
        if f.column == "tags":
            tags = list(value)
        else:
            equals[f.column] = [getattr(v, "value", v) for v in value] if isinstance(value, list) else value
    return ListQuery(project_id=project_id, equals=equals, tags=tags, search=params.get("q"),
                     sort=params["sort"], limit=params["limit"], offset=params["offset"])


def with_signature(fn: Any, fixed: list[inspect.Parameter], extra: list[inspect.Parameter]) -> Any:
    fn.__signature__ = inspect.Signature([*fixed, *extra])
    return fn


def nested_router(res: Resource) -> APIRouter:
    router = APIRouter(prefix="/api/v1/projects/{project_id}/" + res.plural, tags=[res.plural])
    Body = create_body(res)
    Changes = res.changes
    kw = inspect.Parameter.KEYWORD_ONLY
    fixed = [inspect.Parameter("request", kw, annotation=Request),
             inspect.Parameter("state", kw, annotation=State),
             inspect.Parameter("project_id", kw, annotation=UUID)]

    async def list_items(request: Request, state: AppState, project_id: UUID, **params: Any) -> dict[str, Any]:
        key = None
        if state.cache is not None:  # a cached answer also means the project exists
            cached, key = await state.cache.get(str(project_id), res.plural, sorted(request.query_params.multi_items()))
            if cached is not None:
                return cached
        await require_project(state, project_id)
        async with state.sessions() as session:
            items, total = await list_rows(session, res.table, build_query(res, project_id, params),
                                           text_column=res.text_column)
        answer = {"items": jsonable_encoder(items), "total": total, "limit": params["limit"], "offset": params["offset"]}
        if key is not None:
            await state.cache.put(key, answer)
        return answer

    router.add_api_route("", with_signature(list_items, fixed, list_params(res)), methods=["GET"],
                         summary=f"List {res.plural}", description=f"Paginated, filterable list of the project's {res.plural}.")

    @router.get("/{item_id}", summary=f"Show one {res.singular}")
    async def show(state: State, project_id: UUID, item_id: UUID) -> dict[str, Any]:
        await require_project(state, project_id)
        return jsonable_encoder(await fetch(state, res, project_id, item_id))

    @router.post("", status_code=202, summary=f"Create a {res.singular}", description=f"Publishes {res.create.__event_type__}. {WAIT_DOC}")  # type: ignore[attr-defined]
    async def create(request: Request, state: State, project_id: UUID, body: Body,  # type: ignore[valid-type]
                     wait: bool = Query(False, description=WAIT_DOC)) -> JSONResponse:
        await require_project(state, project_id)
        values = body.model_dump()  # type: ignore[attr-defined]
        await check_parents(state, res, project_id, values)
        item_id = values[res.id_field] = chosen_or_new(request, body, res.id_field, res.singular)
        payload = res.create(**values)
        event = envelope_for(request, state, payload, project_id)
        await refuse_taken(state, res.table, item_id, event.id, res.singular)
        published, applied = await publish(state, event, wait=wants_wait(request), resource_id=item_id)
        if applied:
            return JSONResponse(jsonable_encoder(await fetch(state, res, project_id, item_id)), status_code=201)
        return accepted(event, published, item_id, location=f"{request.url.path}/{item_id}")

    @router.patch("/{item_id}", status_code=202, summary=f"Update a {res.singular}", description=f"Publishes {res.update.__event_type__}; fields left out stay as they are. {WAIT_DOC}")  # type: ignore[attr-defined]
    async def update(request: Request, state: State, project_id: UUID, item_id: UUID, body: Changes,  # type: ignore[valid-type]
                     wait: bool = Query(False, description=WAIT_DOC)) -> JSONResponse:
        await require_project(state, project_id)
        await fetch(state, res, project_id, item_id)
        await check_parents(state, res, project_id, body.model_dump())  # type: ignore[attr-defined]
        payload = res.update(**{res.id_field: item_id, "changes": body})
        event = envelope_for(request, state, payload, project_id)
        published, applied = await publish(state, event, wait=wants_wait(request), resource_id=item_id)
        if applied:
            return JSONResponse(jsonable_encoder(await fetch(state, res, project_id, item_id)), status_code=200)
        return accepted(event, published, item_id)

    @router.delete("/{item_id}", status_code=202, summary=f"Delete a {res.singular}", description=f"Publishes {res.delete.__event_type__}. {WAIT_DOC}")  # type: ignore[union-attr]
    async def delete(request: Request, state: State, project_id: UUID, item_id: UUID,
                     wait: bool = Query(False, description=WAIT_DOC)) -> JSONResponse:
        await require_project(state, project_id)
        await fetch(state, res, project_id, item_id)
        assert res.delete is not None
        event = envelope_for(request, state, res.delete(**{res.id_field: item_id}), project_id)
        published, applied = await publish(state, event, wait=wants_wait(request))
        if applied:
            return JSONResponse({"id": str(item_id), "deleted": True, "event_id": event.id}, status_code=200)
        return accepted(event, published, item_id)

    return router


def nested_routers() -> list[APIRouter]:
    return [nested_router(res) for res in NESTED]
