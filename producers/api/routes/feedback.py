"""Feedback on what the AI produced: accept, reject (with a reason), modify (the edit is applied
and the stored event keeps before, after and a field-level diff), rate; in bulk for a suite; and
the acceptance statistics per agent."""

from typing import Annotated, Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import Field, StrictBool, ValidationError, model_validator
from sqlalchemy import select

from cognitest.infra.db import models as m
from cognitest.infra.feedback.diff import EDITABLE_CASE_FIELDS, agent_of, field_changes
from cognitest.infra.feedback.stats import feedback_stats
from cognitest.producers.api.body import MAX_OFFSET, Body
from cognitest.producers.api.commands import accepted, envelope_for, publish, wants_wait
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.resource import CASES, ISSUES, PLANS, SUITES
from cognitest.producers.api.routes.nested import fetch, require_project
from cognitest.producers.api.state import AppState, get_state
from cognitest.schemas.enums import ArtifactKind, FeedbackVerdict
from cognitest.schemas.events.feedback import REJECTION_REASONS, FeedbackRecorded
from cognitest.schemas.events.testing import CaseChanges, CaseUpdated
from cognitest.schemas.numbers import JsonInt

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["feedback"])
RESOURCES = {"plan": PLANS, "suite": SUITES, "case": CASES, "issue": ISSUES}
Reason = Literal[REJECTION_REASONS]  # type: ignore[valid-type]


class FeedbackBody(Body):
    artifact_kind: ArtifactKind = ArtifactKind.case
    artifact_id: UUID
    verdict: FeedbackVerdict
    reason: Reason | None = Field(default=None, description="why it was rejected: " + ", ".join(REJECTION_REASONS))
    comment: str | None = Field(default=None, max_length=5_000)
    rating: Annotated[JsonInt, Field(ge=1, le=5)] | None = Field(default=None, description="1–5; required when the verdict is `rated`")
    changes: dict[str, Any] | None = Field(default=None, description="modified: the case's new field values "
                                           "(title, steps, expected_result, priority, tags ...)")

    @model_validator(mode="after")
    def fits_the_verdict(self) -> "FeedbackBody":
        if self.verdict == FeedbackVerdict.rated and self.rating is None:
            raise ValueError("a `rated` verdict needs a rating from 1 to 5")
        if self.verdict == FeedbackVerdict.modified:
            if self.artifact_kind != ArtifactKind.case:
                raise ValueError("`modified` is recorded for cases; edit plans, suites and issues through their PATCH "
                                 "routes and record `accepted`")
            if not self.changes:
                raise ValueError("a `modified` verdict needs `changes`")
        elif self.changes is not None:
            raise ValueError("`changes` go with the `modified` verdict only")
        if self.reason is not None and self.verdict != FeedbackVerdict.rejected:
            raise ValueError("a reason goes with the `rejected` verdict only")
        return self


class BulkBody(Body):
    verdict: Literal["accepted", "rejected"]
    reason: Reason | None = None
    comment: str | None = Field(default=None, max_length=5_000)
    only_generated: StrictBool = Field(default=True, description="only the cases the AI generated")


def _derived(request: Request, *parts: object) -> str | None:
    """With an Idempotency-Key, each of a command's several events gets its own id derived from it."""
    key = request.headers.get("idempotency-key")
    return str(uuid5(NAMESPACE_URL, f"cognitest:feedback:{key}:" + ":".join(map(str, parts)))) if key else None


def _case_changes(changes: dict[str, Any]) -> CaseChanges:
    unknown = sorted(set(changes) - set(EDITABLE_CASE_FIELDS))
    if unknown:
        raise ApiError(422, f"fields that feedback cannot edit: {', '.join(unknown)} (editable: {', '.join(EDITABLE_CASE_FIELDS)})")
    try:
        return CaseChanges(**changes)
    except ValidationError as exc:
        raise ApiError(422, "invalid changes: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                                            for e in exc.errors()[:10])) from None


@router.post("/feedback", status_code=202, summary="Record feedback on a generated plan, suite, case or issue",
             description="Publishes feedback.recorded (and, for a modified case, case.updated first: the edit is "
                         "applied). With `?wait=true` answers 201 once projected.")
async def record(request: Request, state: State, project_id: UUID, body: FeedbackBody) -> JSONResponse:
    await require_project(state, project_id)
    row = await fetch(state, RESOURCES[body.artifact_kind.value], project_id, body.artifact_id)
    before = after = None
    diff: list[Any] = []
    if body.verdict == FeedbackVerdict.modified:
        changes = _case_changes(body.changes or {})
        edited = changes.model_dump(mode="json", exclude_unset=True)
        diff = field_changes({k: row.get(k) for k in edited}, edited)
        if not diff:
            raise ApiError(422, "the changes equal the case as it is: record `accepted` instead")
        before = {c.field: c.before for c in diff}
        after = {c.field: c.after for c in diff}
        edit = envelope_for(request, state, CaseUpdated(case_id=body.artifact_id, changes=changes), project_id)
        if (edit_id := _derived(request, "edit")) is not None:
            edit = edit.model_copy(update={"id": edit_id})
        await publish(state, edit, wait=False)
    feedback_id = uuid4()
    event = envelope_for(request, state, FeedbackRecorded(
        feedback_id=feedback_id, artifact_kind=body.artifact_kind, artifact_id=body.artifact_id, verdict=body.verdict,
        agent=agent_of(body.artifact_kind.value, row), reason=body.reason, comment=body.comment, rating=body.rating,
        before=jsonable_encoder(before), after=jsonable_encoder(after), diff=jsonable_encoder(diff)), project_id)
    published, applied = await publish(state, event, wait=wants_wait(request))
    if applied:
        return JSONResponse({"id": str(feedback_id), "event_id": event.id, "agent": event.data.agent,
                             "diff": jsonable_encoder(diff)}, status_code=201)
    return accepted(event, published, feedback_id)


@router.post("/suites/{suite_id}/feedback", status_code=202, tags=["suites"],
             summary="Accept or reject every case of a suite",
             description="Publishes one feedback.recorded per case (the AI-generated ones unless only_generated is false).")
async def bulk(request: Request, state: State, project_id: UUID, suite_id: UUID, body: BulkBody) -> JSONResponse:
    await require_project(state, project_id)
    await fetch(state, SUITES, project_id, suite_id)
    query = select(m.TestCase).where(m.TestCase.project_id == project_id, m.TestCase.test_suite_id == suite_id,
                                     m.TestCase.deleted_at.is_(None))
    if body.only_generated:
        query = query.where(m.TestCase.ai_generated.is_(True))
    async with state.sessions() as session:
        cases = list(await session.scalars(query))
    if body.reason is not None and body.verdict != "rejected":
        raise ApiError(422, "a reason goes with the `rejected` verdict only")
    events = []
    for case in cases:  # a retried request with the same Idempotency-Key records nothing twice
        feedback_id = UUID(_derived(request, suite_id, case.id) or str(uuid4()))
        event = envelope_for(request, state, FeedbackRecorded(
            feedback_id=feedback_id, artifact_kind=ArtifactKind.case, artifact_id=case.id,
            verdict=FeedbackVerdict(body.verdict), agent=agent_of("case", {"metadata": case.metadata_, "tags": case.tags}),
            reason=body.reason, comment=body.comment), project_id)
        events.append(event.model_copy(update={"id": str(feedback_id)}))
    for start in range(0, len(events), 500):
        await state.publisher.publish_many(events[start:start + 500])
    return JSONResponse({"suite_id": str(suite_id), "verdict": body.verdict, "recorded": len(events),
                         "event_ids": [e.id for e in events]}, status_code=202)


@router.get("/feedback", summary="Feedback recorded in the project, newest first")
async def list_feedback(state: State, project_id: UUID, artifact_id: UUID | None = None,
                        verdict: FeedbackVerdict | None = None, agent: str | None = Query(None, max_length=50),
                        limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> dict[str, Any]:
    await require_project(state, project_id)
    query = select(m.Feedback).where(m.Feedback.project_id == project_id)
    if artifact_id:
        query = query.where(m.Feedback.artifact_id == artifact_id)
    if verdict:
        query = query.where(m.Feedback.verdict == verdict.value)
    if agent:
        query = query.where(m.Feedback.agent == agent)
    async with state.sessions() as session:
        rows = list(await session.scalars(query.order_by(m.Feedback.created_at.desc()).limit(limit).offset(offset)))
    fields = ("id", "artifact_kind", "artifact_id", "verdict", "agent", "reason", "comment", "rating", "before", "after",
              "diff", "created_by", "created_at")
    return {"items": jsonable_encoder([{f: getattr(r, f) for f in fields} for r in rows]), "limit": limit, "offset": offset}


@router.get("/feedback/stats", summary="Acceptance and modification rates per agent, their trend, rejection reasons",
            description="Each artifact counts once, by its latest accept/modify/reject verdict; acceptance = "
                        "(accepted + modified) / judged.")
async def stats(state: State, project_id: UUID, days: int = Query(90, ge=1, le=3650),
                bucket: Literal["day", "week"] = "day") -> dict[str, Any]:
    await require_project(state, project_id)
    return await feedback_stats(state.sessions, project_id, days=days, bucket=bucket)
