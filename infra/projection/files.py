"""Projection of a project's test data files (file.uploaded, file.deleted)."""

from typing import Any

from sqlalchemy import Table

from cognitest.infra.db import models as m
from cognitest.infra.projection.registry import handles
from cognitest.infra.projection.resources import projects, soft_delete
from cognitest.infra.projection.tx import Tx
from cognitest.schemas import Envelope

files: Table = m.ProjectFile.__table__  # type: ignore[assignment]


@handles("file.uploaded")
async def file_uploaded(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(projects, event.project_id, event, scoped=False)
    d = event.data
    tx.insert(files, {
        "id": d.file_id, "project_id": event.project_id, "name": d.name, "media_type": d.media_type,
        "size_bytes": d.size_bytes, "sha256": d.sha256, "blob_ref": d.blob_ref, "created_by": event.actor,
        "created_at": event.time, "updated_at": event.time, "last_event_seq": seq,
    })


@handles("file.deleted")
async def file_deleted(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(files, event.data.file_id, event)  # another project's file: dead-lettered, never removed
    await soft_delete(tx, files, event, seq, files.c.id == event.data.file_id, files.c.project_id == event.project_id)
