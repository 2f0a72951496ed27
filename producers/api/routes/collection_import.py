"""Importing API collections from Postman Collection v2.1 or OpenAPI 3 (JSON or YAML)."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import JSONResponse

from cognitest.infra.collections.importers import CollectionFormatError, import_collection
from cognitest.producers.api.commands import envelope_for, new_resource_id, publish
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.routes.nested import require_project
from cognitest.producers.api.state import AppState, get_state
from cognitest.schemas.events.collections import CollectionImported

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["collections"])


@router.post("/collections/import", status_code=201, summary="Import a Postman or OpenAPI collection",
             description="Detected by content. Folders, variables, auth and static pre-request variables (Postman); one "
                         "request per operation with example bodies and status/schema assertions (OpenAPI). What cannot be "
                         "imported is listed in `skipped` with the reason.")
async def import_file(request: Request, state: State, project_id: UUID, file: UploadFile = File(...)) -> JSONResponse:
    await require_project(state, project_id)
    limit = state.settings.requirements.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, f"{file.filename} is over the {limit:,}-byte limit")
    try:
        imported = import_collection(data)
    except CollectionFormatError as exc:
        raise ApiError(422, f"{file.filename}: {exc}") from None
    if not imported.requests:
        raise ApiError(422, f"{file.filename}: nothing could be imported", imported.skipped or None)
    collection_id = new_resource_id(request, "collection")
    payload = CollectionImported(collection_id=collection_id, name=imported.name[:255],
                                 description=(imported.description or None) and str(imported.description)[:100_000],
                                 requests=imported.requests[:2000], environment=imported.environment,
                                 imported_from=imported.imported_from, skipped=imported.skipped,
                                 source_url=None, tags=["imported", imported.imported_from])
    event = envelope_for(request, state, payload, project_id)
    published, applied = await publish(state, event, wait=True)
    return JSONResponse({"collection_id": str(collection_id), "name": payload.name, "imported_from": imported.imported_from,
                         "requests": len(payload.requests), "skipped": imported.skipped, "event_id": event.id,
                         "applied": bool(applied)}, status_code=201 if applied else 202)


__all__ = ["router"]


@router.api_route("/collections/import", methods=["GET", "PUT", "PATCH", "DELETE", "OPTIONS"],
                  include_in_schema=False)
async def import_other_methods(project_id: UUID) -> None:
    """`import` is not a collection id: any other method is 405, not a 422 about an invalid id."""
    raise ApiError(405, "only POST imports a collection", headers={"allow": "POST"})
