"""A unit of work over one batch: inserts are buffered and sent as multi-row statements,
anything else flushes the buffer first so statements keep the order of their events."""

from typing import Any
from uuid import UUID

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from cognitest.infra.projection.errors import NotYetApplicable, PermanentError
from cognitest.schemas import Envelope


class Tx:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._pending: list[tuple[Table, tuple[str, ...], list[dict[str, Any]]]] = []
        # rows known to exist in this transaction (table, id) -> owning project, so a batch of
        # a thousand cases checks its project once instead of a thousand times
        self._known: dict[tuple[str, Any], Any] = {}

    def insert(self, table: Table, row: dict[str, Any]) -> None:
        """Insert a row unless its primary key exists (a replayed create changes nothing)."""
        if "id" in row:
            self._known[(table.name, _key(row["id"]))] = row.get("project_id", row["id"])
        keys = tuple(sorted(row))
        if self._pending and self._pending[-1][0] is table and self._pending[-1][1] == keys:
            self._pending[-1][2].append(row)
        else:
            self._pending.append((table, keys, [row]))

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        for table, _keys, rows in pending:
            pk = [c.name for c in table.primary_key.columns]
            await self.session.execute(pg_insert(table).on_conflict_do_nothing(index_elements=pk), rows)

    async def execute(self, statement: Any, params: Any = None) -> Any:
        await self.flush()
        return await self.session.execute(statement, params)

    async def update_row(self, table: Table, row_id: UUID | str, event: Envelope[Any], seq: int,
                         values: dict[str, Any], *, scoped: bool = True, touch: bool = True) -> bool:
        """Apply `values` to one row when this event is newer than the row's last change.

        Returns False when the row is already newer or deleted (a late duplicate: ignore it);
        raises NotYetApplicable when the row does not exist yet."""
        c = table.c
        conditions = [c.id == row_id, c.last_event_seq < seq]
        if "deleted_at" in c:
            conditions.append(c.deleted_at.is_(None))
        if scoped and "project_id" in c:
            conditions.append(c.project_id == event.project_id)
        values = {**values, "last_event_seq": seq}
        if touch and "updated_at" in c:
            values["updated_at"] = event.time
        result = await self.execute(update(table).where(*conditions).values(**values))
        if result.rowcount:
            return True
        await self.require(table, row_id, event, scoped=scoped)
        return False

    async def require(self, table: Table, row_id: UUID | str, event: Envelope[Any], *, scoped: bool = True) -> None:
        c = table.c
        key = (table.name, _key(row_id))
        if key not in self._known:
            owner = await self.execute(select(c.project_id if "project_id" in c else c.id).where(c.id == row_id))
            found = owner.first()
            if found is None:
                raise NotYetApplicable(f"{table.name} {row_id} does not exist (yet)")
            self._known[key] = found[0]
        if scoped and "project_id" in c and _key(self._known[key]) != _key(event.project_id):
            raise PermanentError(f"{table.name} {row_id} belongs to another project")


def _key(value: Any) -> str:
    return str(value)
