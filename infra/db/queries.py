"""Read repository: listing and fetching read-model rows for the API."""

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import Table, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

HIDDEN = {"last_event_seq", "field_seqs", "deleted_at"}
RANKS = {
    "priority": ["critical", "high", "medium", "low"],
    "severity": ["critical", "high", "medium", "low", "info"],
}


@dataclass
class ListQuery:
    project_id: UUID | None = None
    equals: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    search: str | None = None
    sort: str = "-created_at"
    limit: int = 50
    offset: int = 0
    where: list[Any] = field(default_factory=list)  # further SQL conditions (e.g. the caller's projects)


def row_to_dict(table: Table, row: Any) -> dict[str, Any]:
    return {c.name: row._mapping[c] for c in table.columns if c.name not in HIDDEN}


def _order(table: Table, sort: str) -> list[Any]:
    descending = sort.startswith("-")
    name = sort.lstrip("-+")
    column = table.c[name]
    if name in RANKS:
        # rank order: critical first when ascending by "importance"
        expr = case({v: i for i, v in enumerate(RANKS[name])}, value=column, else_=len(RANKS[name]))
        ordered = expr.desc() if descending else expr.asc()
    else:
        ordered = column.desc().nulls_last() if descending else column.asc().nulls_last()
    return [ordered, table.c[list(table.primary_key.columns)[0].name].asc()]


async def list_rows(session: AsyncSession, table: Table, query: ListQuery, *, text_column: str | None = None) -> tuple[list[dict[str, Any]], int]:
    c = table.c
    conditions = []
    if "deleted_at" in c:
        conditions.append(c.deleted_at.is_(None))
    if query.project_id is not None:
        conditions.append(c.project_id == query.project_id)
    for name, value in query.equals.items():
        if value is None:
            continue
        conditions.append(c[name].in_(value) if isinstance(value, list) else c[name] == value)
    for tag in query.tags:
        conditions.append(c.tags.contains([tag]))
    conditions.extend(query.where)
    if query.search and text_column:
        conditions.append(c[text_column].ilike(f"%{query.search}%"))
    total = await session.scalar(select(func.count()).select_from(table).where(*conditions))
    rows = await session.execute(
        select(table).where(*conditions).order_by(*_order(table, query.sort)).limit(query.limit).offset(query.offset)
    )
    return [row_to_dict(table, r) for r in rows], int(total or 0)


async def get_row(session: AsyncSession, table: Table, row_id: Any, project_id: UUID | None = None,
                  *, include_deleted: bool = False) -> dict[str, Any] | None:
    c = table.c
    conditions = [c.id == row_id]
    if project_id is not None and "project_id" in c:
        conditions.append(c.project_id == project_id)
    if "deleted_at" in c and not include_deleted:
        conditions.append(c.deleted_at.is_(None))
    row = (await session.execute(select(table).where(*conditions))).first()
    return row_to_dict(table, row) if row is not None else None


async def event_applied(session: AsyncSession, event_id: str) -> bool:
    from cognitest.infra.db.models import AppliedEvent

    return bool(await session.scalar(select(func.count()).where(AppliedEvent.event_id == event_id)))
