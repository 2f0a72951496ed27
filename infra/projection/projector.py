"""Apply a batch of events in one transaction together with their applied-event records, so a
redelivered event changes nothing and a crash leaves either all of a batch or none of it."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from cognitest.infra.db import models as m
from cognitest.infra.projection import activity as _activity  # noqa: F401  registers handlers
from cognitest.infra.projection import resources as _resources  # noqa: F401  registers handlers
from cognitest.infra.projection.registry import HANDLERS
from cognitest.infra.projection.tx import Tx
from cognitest.schemas import Envelope

applied: Table = m.AppliedEvent.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Incoming:
    seq: int
    event: Envelope[Any]


async def apply_batch(session: AsyncSession, batch: Sequence[Incoming]) -> list[Incoming]:
    """Apply the events not applied before; returns those. The caller commits."""
    unique: dict[str, Incoming] = {}
    for item in batch:
        unique.setdefault(item.event.id, item)
    if not unique:
        return []
    rows = [
        {"event_id": i.event.id, "stream_seq": i.seq, "event_type": i.event.type, "project_id": i.event.project_id}
        for i in unique.values()
    ]
    inserted = await session.execute(
        pg_insert(applied).values(rows).on_conflict_do_nothing(index_elements=["event_id"]).returning(applied.c.event_id)
    )
    fresh = {row[0] for row in inserted}
    todo = sorted((i for i in unique.values() if i.event.id in fresh), key=lambda i: i.seq)
    tx = Tx(session)
    for item in todo:
        await HANDLERS[item.event.type](tx, item.event, item.seq)
    await tx.flush()
    return todo


def unhandled_types(registered: Sequence[str]) -> list[str]:
    return [t for t in registered if t not in HANDLERS]
