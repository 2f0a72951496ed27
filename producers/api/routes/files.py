"""A project's test data files: what its upload steps send (`files: ["file:<id>"]`), stored in the
blob store. Nothing else of the machine running the tests is reachable by a step (besides the
instance's fixtures directory)."""

import mimetypes
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from cognitest.infra.blob import BlobNotFound, sha256
from cognitest.infra.db import models as m
from cognitest.producers.api.commands import accepted, envelope_for, new_resource_id, publish, wants_wait
from cognitest.producers.api.downloads import attachment
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.routes.nested import require_project
from cognitest.producers.api.state import AppState, get_state
from cognitest.schemas.events.common import visible_text
from cognitest.schemas.events.files import FileDeleted, FileUploaded

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/projects/{project_id}/files", tags=["files"])


def _view(row: m.ProjectFile) -> dict[str, Any]:
    return {"id": row.id, "ref": f"file:{row.id}", "name": row.name, "media_type": row.media_type,
            "size_bytes": row.size_bytes, "sha256": row.sha256, "created_by": row.created_by, "created_at": row.created_at}


async def _file(state: AppState, project_id: UUID, file_id: UUID) -> m.ProjectFile:
    async with state.sessions() as session:
        row = await session.scalar(select(m.ProjectFile).where(
            m.ProjectFile.id == file_id, m.ProjectFile.project_id == project_id, m.ProjectFile.deleted_at.is_(None)))
    if row is None:
        raise ApiError(404, f"file {file_id} not found in this project")
    return row


@router.post("", status_code=202, summary="Upload test data files for upload steps",
             description="Each file is stored and gets an id; an upload step sends it with `files: [\"file:<id>\"]`. "
                         "Over `COGNITEST_EXECUTION__MAX_FILE_BYTES` (25 MB): 413. With `?wait=true` (201) the "
                         "answer lists the stored files.")
async def upload_files(request: Request, state: State, project_id: UUID,
                       files: list[UploadFile] = File(..., description="one or more files")) -> JSONResponse:
    await require_project(state, project_id)
    limit = state.settings.execution.max_file_bytes
    prepared = []
    for index, upload in enumerate(files):
        name = (upload.filename or f"file-{index + 1}").replace("\\", "/").rsplit("/", 1)[-1][:255]
        try:
            visible_text(name)
        except ValueError as exc:
            raise ApiError(422, f"file name: {exc}") from None
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise ApiError(413, f"{name} is over the {limit:,}-byte limit")
        media = upload.content_type if upload.content_type not in (None, "", "application/octet-stream") else None
        prepared.append((name, media or mimetypes.guess_type(name)[0] or "application/octet-stream", data))
    wait, out = wants_wait(request), []
    for index, (name, media, data) in enumerate(prepared):
        ref, _ = await state.blobs.put(data, media_type=media)  # content-addressed: a retry stores nothing new
        file_id = new_resource_id(request, f"file:{index}")
        event = envelope_for(request, state, FileUploaded(file_id=file_id, name=name, media_type=media,
                                                          size_bytes=len(data), sha256=sha256(data), blob_ref=ref),
                             project_id, part=f":{index}")
        published, applied = await publish(state, event, wait=wait, resource_id=file_id)
        out.append({"id": str(file_id), "ref": f"file:{file_id}", "name": name, "event_id": event.id,
                    "duplicate": published.duplicate, "applied": bool(applied)})
    if wait and all(f["applied"] for f in out):
        async with state.sessions() as session:
            rows = list(await session.scalars(select(m.ProjectFile).where(
                m.ProjectFile.id.in_([UUID(f["id"]) for f in out]))))
        order = {f["id"]: i for i, f in enumerate(out)}
        rows.sort(key=lambda r: order[str(r.id)])
        return JSONResponse({"files": jsonable_encoder([_view(r) for r in rows])}, status_code=201)
    return JSONResponse({"files": out}, status_code=202)


@router.get("", summary="List the project's test data files")
async def list_files(state: State, project_id: UUID) -> dict[str, Any]:
    await require_project(state, project_id)
    async with state.sessions() as session:
        rows = await session.scalars(select(m.ProjectFile).where(
            m.ProjectFile.project_id == project_id, m.ProjectFile.deleted_at.is_(None)).order_by(m.ProjectFile.created_at))
    return {"items": jsonable_encoder([_view(r) for r in rows])}


@router.get("/{file_id}", summary="Download a test data file")
async def download_file(state: State, project_id: UUID, file_id: UUID) -> Response:
    row = await _file(state, project_id, file_id)
    try:
        data = await state.blobs.get(row.blob_ref)
    except BlobNotFound:
        raise ApiError(404, "the file is gone from the blob store") from None
    return Response(data, media_type=row.media_type, headers=attachment(row.name))


@router.delete("/{file_id}", status_code=202, summary="Remove a test data file",
               description="Steps naming it fail from then on, saying the file was removed.")
async def delete_file(request: Request, state: State, project_id: UUID, file_id: UUID) -> JSONResponse:
    await _file(state, project_id, file_id)
    event = envelope_for(request, state, FileDeleted(file_id=file_id), project_id)
    published, applied = await publish(state, event, wait=wants_wait(request), resource_id=file_id)
    if applied:
        return JSONResponse({"id": str(file_id), "deleted": True}, status_code=200)
    return accepted(event, published, file_id)
