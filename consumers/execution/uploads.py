"""Files an upload step may send: the project's own files (`file:<id>`, from the blob store, only
of the run's project) and files of the configured fixtures directory, checked again at run time
(the step was checked when it was stored; variables and symlinks are only known now). Nothing else
on the machine running the tests can reach the site under test."""

import asyncio
import mimetypes
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from cognitest.infra.blob import BlobNotFound, BlobStore
from cognitest.infra.db import models as m
from cognitest.infra.execution_guard import TargetRefused
from cognitest.schemas.steps import PROJECT_FILE, upload_source


class ProjectFiles:
    """A run's view of its project's files: another project's file id is no file at all."""

    def __init__(self, sessions: async_sessionmaker, blobs: BlobStore, project_id: UUID) -> None:
        self.sessions, self.blobs, self.project_id = sessions, blobs, project_id

    async def payload(self, file_id: UUID) -> dict[str, Any]:
        async with self.sessions() as session:
            row = await session.scalar(select(m.ProjectFile).where(m.ProjectFile.id == file_id,
                                                                   m.ProjectFile.project_id == self.project_id))
        if row is None:
            raise TargetRefused(f"upload of file:{file_id} refused: this project has no such file")
        if row.deleted_at is not None:
            raise TargetRefused(f"upload of file:{file_id} refused: {row.name} was removed from the project's files")
        try:
            data = await self.blobs.get(row.blob_ref)
        except BlobNotFound:
            raise TargetRefused(f"upload of file:{file_id} refused: {row.name} is gone from the blob store") from None
        return {"name": row.name, "mimeType": row.media_type, "buffer": data}


def resolve_uploads(names: list[str], fixtures: Path | None) -> list[str]:
    """Paths of the fixtures directory (each checked: inside it, an existing file)."""
    if fixtures is None:
        raise TargetRefused("upload steps that name a path need a fixtures directory (COGNITEST_EXECUTION__FIXTURES_DIR): "
                            "no file of this machine is uploaded otherwise; upload the file to the project "
                            "(POST .../files) and name it file:<id>")
    root = fixtures.resolve()
    paths = []
    for name in names:
        try:
            upload_source(name)
        except ValueError as exc:
            raise TargetRefused(f"upload of {name!r} refused: {exc}") from None
        path = (root / name).resolve()  # follows symlinks: one pointing out of the fixtures is refused
        if not path.is_relative_to(root):
            raise TargetRefused(f"upload of {name!r} refused: it resolves outside the fixtures directory")
        if not path.is_file():
            raise TargetRefused(f"upload of {name!r} refused: no such file in the fixtures directory")
        paths.append(str(path))
    return paths


async def upload_payloads(names: list[str], fixtures: Path | None, files: ProjectFiles | None) -> list[dict[str, Any]]:
    """What an upload step sends, in its order, as Playwright file payloads."""
    out = []
    for name in names:
        found = PROJECT_FILE.match(name.strip())
        if found:
            if files is None:
                raise TargetRefused(f"upload of {name!r} refused: project files are not available to this run")
            out.append(await files.payload(UUID(found.group(1))))
            continue
        [path] = resolve_uploads([name], fixtures)
        out.append({"name": Path(path).name, "mimeType": mimetypes.guess_type(path)[0] or "application/octet-stream",
                    "buffer": await asyncio.to_thread(Path(path).read_bytes)})  # off the event loop: files may be large
    return out
