"""Requirement documents: upload (multipart), parsed requirements, documents."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select

from cognitest.infra.blob import sha256
from cognitest.infra.db import models as m
from cognitest.infra.requirements.outcome import outcome_event_id
from cognitest.infra.requirements.sniff import MEDIA_TYPES, EmptyDocument, UnsafeDocument, UnsupportedDocument, sniff
from cognitest.producers.api.commands import envelope_for, new_resource_id, wants_wait
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.routes.nested import require_project
from cognitest.producers.api.state import AppState, get_state
from cognitest.schemas.events.requirements import RequirementUploaded

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["requirements"])


def _document(doc: m.RequirementDocument, requirements: list[m.Requirement]) -> dict[str, Any]:
    return {
        "id": doc.id, "filename": doc.filename, "media_type": doc.media_type, "size_bytes": doc.size_bytes,
        "sha256": doc.sha256, "status": doc.status, "reason": doc.reason, "created_at": doc.created_at,
        "requirements": [_requirement(r) for r in requirements],
    }


def _requirement(r: m.Requirement) -> dict[str, Any]:
    return {"id": r.id, "key": r.key, "title": r.title, "text": r.text, "kind": r.kind, "priority": r.priority,
            "section": r.section, "acceptance_criteria": r.acceptance_criteria, "document_id": r.document_id,
            "lines": [r.line_start, r.line_end] if r.line_start else None}


async def documents_with_requirements(state: AppState, project_id: UUID, ids: list[UUID] | None = None) -> list[dict[str, Any]]:
    async with state.sessions() as session:
        q = select(m.RequirementDocument).where(m.RequirementDocument.project_id == project_id,
                                                m.RequirementDocument.deleted_at.is_(None))
        if ids is not None:
            q = q.where(m.RequirementDocument.id.in_(ids))
        docs = list(await session.scalars(q.order_by(m.RequirementDocument.created_at)))
        reqs = list(await session.scalars(select(m.Requirement).where(m.Requirement.document_id.in_([d.id for d in docs]))
                                          .order_by(m.Requirement.position)))
    by_doc: dict[UUID, list[m.Requirement]] = {}
    for r in reqs:
        by_doc.setdefault(r.document_id, []).append(r)
    order = {d: i for i, d in enumerate(ids or [])}
    docs.sort(key=lambda d: order.get(d.id, 0))
    return [_document(d, sorted(by_doc.get(d.id, []), key=lambda r: r.created_at)) for d in docs]


@router.post("/requirements", status_code=202, summary="Upload requirement documents",
             description="PDF, DOCX, Markdown, plain text, HTML, Gherkin, or JSON/CSV exports of user stories, recognised "
                         "by content. Too large: 413. Not a document: 415. Empty, unsafe (zip bomb): 422. Every file is "
                         "checked before any is stored. With `?wait=true` the answer lists each document's parsed "
                         "requirements (or why it was rejected).")
async def upload(request: Request, state: State, project_id: UUID, files: list[UploadFile] = File(...),
                 wait: bool = Query(False)) -> JSONResponse:
    await require_project(state, project_id)
    limits = state.settings.requirements
    prepared = []
    for upload_file in files:
        name = (upload_file.filename or "document")[:255]
        data = await upload_file.read(limits.max_upload_bytes + 1)
        if len(data) > limits.max_upload_bytes:
            raise ApiError(413, f"{name} is over the {limits.max_upload_bytes:,}-byte limit")
        try:
            kind = sniff(data, max_unzipped=limits.max_unzipped_bytes, max_ratio=limits.max_zip_ratio)
        except UnsupportedDocument as exc:
            raise ApiError(415, f"{name}: {exc}") from None
        except (UnsafeDocument, EmptyDocument) as exc:
            raise ApiError(422, f"{name}: {exc}") from None
        prepared.append((name, kind, data))
    stored: list[str] = []
    accepted = []
    waits = []
    try:
        for index, (name, kind, data) in enumerate(prepared):
            ref, created = await state.blobs.put(data, media_type=MEDIA_TYPES[kind])
            if created:
                stored.append(ref)
            document_id = new_resource_id(request, f"document:{index}")
            event = envelope_for(request, state, RequirementUploaded(
                document_id=document_id, filename=name, media_type=MEDIA_TYPES[kind], size_bytes=len(data),
                sha256=sha256(data), blob_ref=ref), project_id, part=f":{index}")
            if wants_wait(request):
                outcome = outcome_event_id(document_id)
                waits.append((outcome, state.waiter.expect(outcome)))
            await state.publisher.publish(event)
            accepted.append({"document_id": str(document_id), "filename": name, "kind": kind.value, "event_id": event.id})
    except Exception:
        if not accepted:  # nothing half-written: drop the blobs no accepted event refers to
            for ref in stored:
                await state.blobs.delete(ref)
        raise
    if not waits:
        return JSONResponse({"documents": accepted}, status_code=202)
    for event_id, future in waits:
        await state.waiter.wait(event_id, future, state.settings.http.wait_timeout)
    ids = [UUID(a["document_id"]) for a in accepted]
    return JSONResponse({"documents": jsonable_encoder(await documents_with_requirements(state, project_id, ids))},
                        status_code=201)


@router.get("/documents", summary="List requirement documents with their requirements")
async def list_documents(state: State, project_id: UUID) -> dict[str, Any]:
    await require_project(state, project_id)
    return {"items": jsonable_encoder(await documents_with_requirements(state, project_id))}


@router.get("/requirements", summary="List atomic requirements")
async def list_requirements(state: State, project_id: UUID, document_id: UUID | None = None,
                            kind: str | None = Query(None, pattern="^(functional|non_functional|constraint)$"),
                            priority: str | None = Query(None, pattern="^(critical|high|medium|low)$")) -> dict[str, Any]:
    await require_project(state, project_id)
    q = select(m.Requirement).where(m.Requirement.project_id == project_id)
    if document_id:
        q = q.where(m.Requirement.document_id == document_id)
    if kind:
        q = q.where(m.Requirement.kind == kind)
    if priority:
        q = q.where(m.Requirement.priority == priority)
    async with state.sessions() as session:
        rows = list(await session.scalars(q.order_by(m.Requirement.document_id, m.Requirement.position)))
    return {"items": jsonable_encoder([_requirement(r) for r in rows]), "total": len(rows)}
