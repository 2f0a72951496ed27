"""Ids in a request body are checked like ids in a path: every id a command refers to must be
a live resource of the same project, and the id of a resource a command creates must not be
taken. What would be refused (or silently ignored) by the projection is refused here with a
clear message instead, before anything is published."""

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import Table, select

from cognitest.infra.db import models as m
from cognitest.infra.db.queries import event_applied
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.state import AppState

_t = lambda model: model.__table__  # noqa: E731

# A body field holding ids -> the table those ids live in.
REFERENCES: dict[str, Table] = {
    "plan_id": _t(m.TestPlan), "suite_id": _t(m.TestSuite), "case_id": _t(m.TestCase), "case_ids": _t(m.TestCase),
    "related_test_case_id": _t(m.TestCase), "collection_id": _t(m.ApiCollection), "issue_id": _t(m.Issue),
    "document_id": _t(m.RequirementDocument), "document_ids": _t(m.RequirementDocument), "run_id": _t(m.Run),
}

# A create event -> the field naming what it creates (checked for "taken", not for "exists").
CREATES: dict[str, tuple[str, Table]] = {
    "plan.created": ("plan_id", _t(m.TestPlan)), "suite.created": ("suite_id", _t(m.TestSuite)),
    "case.created": ("case_id", _t(m.TestCase)), "issue.created": ("issue_id", _t(m.Issue)),
    "collection.created": ("collection_id", _t(m.ApiCollection)), "project.created": ("project_id", _t(m.Project)),
    "run.requested": ("run_id", _t(m.Run)), "requirement.uploaded": ("document_id", _t(m.RequirementDocument)),
    "generation.requested": ("generation_id", _t(m.Generation)),
}


def _ids(value: Any) -> list[UUID]:
    values = value if isinstance(value, list | tuple | set) else [value]
    out = []
    for item in values:
        if item is None:
            continue
        try:
            out.append(item if isinstance(item, UUID) else UUID(str(item)))
        except ValueError:
            continue  # not an id: the payload's own validation speaks about it
    return out


async def require_owned(state: AppState, project_id: UUID, values: Mapping[str, Any],
                        fields: Iterable[str] | None = None) -> None:
    """Every id in `values` under a known reference field exists, is live and is this project's;
    otherwise 404 naming the field, like an id in a path (the same answer whether it is missing or
    another project's, so nothing is learnt about other projects)."""
    async with state.sessions() as session:
        for name in fields if fields is not None else values:
            table = REFERENCES.get(name)
            if table is None or name not in values:
                continue
            wanted = set(_ids(values[name]))
            if not wanted:
                continue
            c = table.c
            query = select(c.id).where(c.id.in_(wanted), c.project_id == project_id)
            if "deleted_at" in c:
                query = query.where(c.deleted_at.is_(None))
            found = set(await session.scalars(query))
            missing = sorted(str(i) for i in wanted - found)
            if missing:
                shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
                raise ApiError(404, f"{name}: {shown} not found in this project",
                               [{"loc": ["body", name], "msg": "not found in this project", "type": "reference"}])


async def refuse_taken(state: AppState, table: Table, item_id: UUID, event_id: str, singular: str) -> None:
    """A create whose id is taken anywhere (any project, deleted or not) is refused: a caller who
    could name an existing id would otherwise take over what it identifies. The same request
    retried (same event id, from its Idempotency-Key) is not a conflict."""
    async with state.sessions() as session:
        taken = (await session.execute(select(table.c.id).where(table.c.id == item_id))).first()
        if taken is None or await event_applied(session, event_id):
            return
    raise ApiError(409, f"{singular} id {item_id} is already taken; leave the id out to get a new one")


async def check_event(state: AppState, event_type: str, event_id: str, project_id: UUID, data: Mapping[str, Any]) -> None:
    """The checks above for a raw event published through the event API."""
    created = CREATES.get(event_type)
    if created is not None and data.get(created[0]) is not None:
        await refuse_taken(state, created[1], _ids(data[created[0]])[0], event_id, event_type.split(".")[0])
    fields = [name for name in REFERENCES if name in data and (created is None or name != created[0])]
    await require_owned(state, project_id, data, fields)
