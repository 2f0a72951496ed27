"""A unit of work over one batch: inserts are buffered and sent as multi-row statements,
anything else flushes the buffer first so statements keep the order of their events."""

from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Table, case, cast, func, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert as pg_insert
from sqlalchemy.sql.elements import ClauseElement
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

    def remember(self, table: Table, row_id: Any, project_id: Any) -> None:
        """Note a row this transaction wrote itself, so `require` needs no query for it."""
        self._known[(table.name, _key(row_id))] = project_id

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        for table, _keys, rows in pending:
            pk = [c.name for c in table.primary_key.columns]
            await self.session.execute(pg_insert(table).on_conflict_do_nothing(index_elements=pk), rows)

    async def execute(self, statement: Any, params: Any = None) -> Any:
        await self.flush()
        return await self.session.execute(statement, params)

    async def update_row(self, table: Table, row_id: UUID | str, event: Envelope[Any], seq: int,
                         values: dict[str, Any], *, scoped: bool = True, touch: bool = True,
                         merge: tuple[str, ...] = ()) -> bool:
        """Apply `values` to one row, field by field: each field takes this event's value only
        when no newer event has set that field already (its stream sequence is kept in the row's
        `field_seqs`). So a late duplicate never rolls a field back, and an older partial update
        committed after a newer one to *other* fields still takes effect (a row-wide "newer
        wins" would drop it as soon as two projection processes reorder events). Columns in
        `merge` are JSON objects merged key by key, each key guarded on its own.

        Returns whether any field took this event's value (False: the row is newer in every field
        this event sets, or deleted); raises NotYetApplicable when the row does not exist yet."""
        c = table.c
        conditions = [c.id == row_id]
        if "deleted_at" in c:
            conditions.append(c.deleted_at.is_(None))
        if scoped and "project_id" in c:
            conditions.append(c.project_id == event.project_id)
        seqs = c.field_seqs

        def older(key: str) -> Any:
            return func.coalesce(seqs[key].astext.cast(BigInteger), 0) < seq

        sets: dict[str, Any] = {}
        keys: list[str] = []
        for name, value in values.items():
            if name in merge and isinstance(value, dict):
                merged = c[name]
                for k, v in value.items():
                    key = f"{name}.{k}"
                    keys.append(key)
                    merged = merged.op("||")(case((older(key), func.jsonb_build_object(k, cast(literal(v, JSONB), JSONB))),
                                                  else_=cast(literal({}, JSONB), JSONB)))
                sets[name] = merged
                continue
            keys.append(name)
            new = value if isinstance(value, ClauseElement) else literal(value, c[name].type)
            sets[name] = case((older(name), new), else_=c[name])
        if not keys:
            return False
        stamps: list[Any] = []
        for key in keys:
            stamps += [key, func.greatest(func.coalesce(seqs[key].astext.cast(BigInteger), 0), seq)]
        sets["field_seqs"] = seqs.op("||")(func.jsonb_build_object(*stamps))
        sets["last_event_seq"] = func.greatest(c.last_event_seq, seq)
        if touch and "updated_at" in c:
            sets["updated_at"] = func.greatest(c.updated_at, event.time)
        result = await self.execute(update(table).where(*conditions).values(**sets).returning(c.field_seqs))
        row = result.first()
        if row is not None:
            return any(row[0].get(key) == seq for key in keys)
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
