"""Apply a batch of events in one transaction together with their applied-event records, so a
redelivered event changes nothing and a crash leaves either all of a batch or none of it."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, DateTime, String, Table, Uuid, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from cognitest.infra.db import models as m
from cognitest.infra.projection import activity as _activity  # noqa: F401  registers handlers
from cognitest.infra.projection import automations as _automations  # noqa: F401  registers handlers
from cognitest.infra.projection import files as _files  # noqa: F401  registers handlers
from cognitest.infra.projection import resources as _resources  # noqa: F401  registers handlers
from cognitest.infra.projection.registry import HANDLERS
from cognitest.infra.projection.tx import Tx
from cognitest.schemas import Envelope

applied: Table = m.AppliedEvent.__table__  # type: ignore[assignment]

# One statement with four array parameters, whatever the batch size: a multi-row VALUES list
# would be compiled anew for every batch (measured: most of the projector's time).
RECORD_APPLIED = text(
    "INSERT INTO applied_events (event_id, stream_seq, event_type, project_id, actor, occurred_at) "
    "SELECT * FROM unnest(:ids, :seqs, :types, :projects, :actors, :times) "
    "ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
).bindparams(
    bindparam("ids", type_=ARRAY(String)), bindparam("seqs", type_=ARRAY(BigInteger)),
    bindparam("types", type_=ARRAY(String)), bindparam("projects", type_=ARRAY(Uuid)),
    bindparam("actors", type_=ARRAY(String)), bindparam("times", type_=ARRAY(DateTime(timezone=True))),
)


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
    items = list(unique.values())
    inserted = await session.execute(RECORD_APPLIED, {
        "ids": [i.event.id for i in items],
        "seqs": [i.seq for i in items],
        "types": [i.event.type for i in items],
        "projects": [i.event.project_id for i in items],
        "actors": [i.event.actor for i in items],
        "times": [i.event.time for i in items],
    })
    fresh = {row[0] for row in inserted}
    todo = sorted((i for i in unique.values() if i.event.id in fresh), key=lambda i: i.seq)
    tx = Tx(session)
    for item in todo:
        await HANDLERS[item.event.type](tx, item.event, item.seq)
    await tx.flush()
    return todo


def unhandled_types(registered: Sequence[str]) -> list[str]:
    return [t for t in registered if t not in HANDLERS]
