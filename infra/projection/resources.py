"""Projection of the resources people manage: projects, members, plans, suites, cases,
issues and API collections."""

from typing import Any
from uuid import UUID

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from cognitest.infra.db import models as m
from cognitest.infra.projection.errors import PermanentError
from cognitest.infra.projection.registry import handles
from cognitest.infra.projection.tx import Tx
from cognitest.schemas import Envelope
from cognitest.schemas.enums import IssueStatus

projects: Table = m.Project.__table__  # type: ignore[assignment]
members: Table = m.ProjectMember.__table__  # type: ignore[assignment]
plans: Table = m.TestPlan.__table__  # type: ignore[assignment]
suites: Table = m.TestSuite.__table__  # type: ignore[assignment]
cases: Table = m.TestCase.__table__  # type: ignore[assignment]
issues: Table = m.Issue.__table__  # type: ignore[assignment]
collections: Table = m.ApiCollection.__table__  # type: ignore[assignment]

# Payload field -> column where the names differ.
RENAMES = {"plan_id": "test_plan_id", "suite_id": "test_suite_id"}


def row_from(event: Envelope[Any], seq: int, id_field: str, *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    data = event.data.model_dump(mode="json")
    row: dict[str, Any] = {"id": data.pop(id_field)}
    for key, value in data.items():
        if key in drop:
            continue
        row[RENAMES.get(key, key)] = value
    row.update(project_id=event.project_id, created_by=event.actor, created_at=event.time,
               updated_at=event.time, last_event_seq=seq)
    return row


def changes_of(event: Envelope[Any]) -> dict[str, Any]:
    return {RENAMES.get(k, k): v for k, v in event.data.changes.set_fields().items()}


async def soft_delete(tx: Tx, table: Table, event: Envelope[Any], seq: int, *conditions: Any) -> None:
    # Deletion is final, so it applies whatever changed a row after it in stream order (an
    # update that a second projection process committed first must not keep the row alive).
    await tx.execute(
        update(table)
        .where(*conditions, table.c.deleted_at.is_(None))
        .values(deleted_at=event.time, last_event_seq=func.greatest(table.c.last_event_seq, seq))
    )


# --- projects and members ---------------------------------------------------------------

@handles("project.created")
async def project_created(tx: Tx, event: Envelope[Any], seq: int) -> None:
    if event.data.project_id != event.project_id:
        raise PermanentError("project.created must have the new project's id as its subject")
    row = row_from(event, seq, "project_id")
    row.pop("project_id")
    row.pop("created_by")
    # Inserted at once (not buffered) so that only the event that really created the project
    # names its owner: a second project.created for an existing id (a takeover attempt, or a
    # race between two creates) is refused, never turned into another owner.
    created = await tx.execute(pg_insert(projects).values(**row).on_conflict_do_nothing().returning(projects.c.id))
    if created.first() is None:
        raise PermanentError(f"project {event.project_id} already exists")
    tx.remember(projects, event.project_id, event.project_id)
    tx.insert(members, {"project_id": event.project_id, "user_id": event.data.owner_id, "role": "owner",
                        "created_at": event.time, "last_event_seq": seq})


@handles("project.updated")
async def project_updated(tx: Tx, event: Envelope[Any], seq: int) -> None:
    if event.data.project_id != event.project_id:
        raise PermanentError("project.updated must have the project's id as its subject")
    # settings merge key by key, so one writer does not erase another's (each key keeps its own sequence)
    await tx.update_row(projects, event.data.project_id, event, seq, changes_of(event), scoped=False, merge=("settings",))


@handles("project.deleted")
async def project_deleted(tx: Tx, event: Envelope[Any], seq: int) -> None:
    pid = event.project_id
    await tx.require(projects, pid, event, scoped=False)
    for table in (collections, issues, cases, suites, plans):
        await soft_delete(tx, table, event, seq, table.c.project_id == pid)
    await soft_delete(tx, projects, event, seq, projects.c.id == pid)


async def _member_upsert(tx: Tx, event: Envelope[Any], seq: int, role: str | None, removed: bool) -> None:
    await tx.require(projects, event.project_id, event, scoped=False)
    key = (members.c.project_id == event.project_id, members.c.user_id == event.data.user_id)
    existing = (await tx.execute(select(members.c.last_event_seq).where(*key))).first()
    if existing is None:
        if not removed:
            tx.insert(members, {"project_id": event.project_id, "user_id": event.data.user_id, "role": role,
                                "created_at": event.time, "last_event_seq": seq})
        return
    if existing[0] >= seq:
        return
    values: dict[str, Any] = {"last_event_seq": seq, "updated_at": event.time,
                              "removed_at": event.time if removed else None}
    if role is not None:
        values["role"] = role
    await tx.execute(update(members).where(*key).values(**values))


@handles("member.added")
async def member_added(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await _member_upsert(tx, event, seq, event.data.role.value, removed=False)


@handles("member.role_changed")
async def member_role_changed(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await _member_upsert(tx, event, seq, event.data.role.value, removed=False)


@handles("member.removed")
async def member_removed(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await _member_upsert(tx, event, seq, None, removed=True)


# --- plans, suites, cases -------------------------------------------------------------

@handles("plan.created", "plan.generated")
async def plan_created(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(projects, event.project_id, event, scoped=False)
    row = row_from(event, seq, "plan_id", drop=("generation_id",))
    if event.type == "plan.generated":
        row["generated_by"] = row.get("generated_by") or "ai"
    tx.insert(plans, row)


@handles("plan.updated")
async def plan_updated(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.update_row(plans, event.data.plan_id, event, seq, changes_of(event))


@handles("plan.deleted")
async def plan_deleted(tx: Tx, event: Envelope[Any], seq: int) -> None:
    plan_id = event.data.plan_id
    await tx.require(plans, plan_id, event)
    suite_ids = select(suites.c.id).where(suites.c.test_plan_id == plan_id)
    await soft_delete(tx, cases, event, seq, cases.c.test_suite_id.in_(suite_ids))
    await soft_delete(tx, suites, event, seq, suites.c.test_plan_id == plan_id)
    await soft_delete(tx, plans, event, seq, plans.c.id == plan_id)


async def _require_parent(tx: Tx, table: Table, parent_id: UUID | None, event: Envelope[Any]) -> None:
    if parent_id is not None:
        await tx.require(table, parent_id, event)


@handles("suite.created", "suite.generated")
async def suite_created(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(projects, event.project_id, event, scoped=False)
    await _require_parent(tx, plans, event.data.plan_id, event)
    row = row_from(event, seq, "suite_id", drop=("generation_id",))
    if event.type == "suite.generated":
        row["generated_by"] = row.get("generated_by") or "ai"
    tx.insert(suites, row)


@handles("suite.updated")
async def suite_updated(tx: Tx, event: Envelope[Any], seq: int) -> None:
    changes = changes_of(event)
    await _require_parent(tx, plans, changes.get("test_plan_id"), event)
    await tx.update_row(suites, event.data.suite_id, event, seq, changes)


@handles("suite.deleted")
async def suite_deleted(tx: Tx, event: Envelope[Any], seq: int) -> None:
    suite_id = event.data.suite_id
    await tx.require(suites, suite_id, event)
    await soft_delete(tx, cases, event, seq, cases.c.test_suite_id == suite_id)
    await soft_delete(tx, suites, event, seq, suites.c.id == suite_id)


@handles("case.created", "case.generated")
async def case_created(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(projects, event.project_id, event, scoped=False)
    await _require_parent(tx, suites, event.data.suite_id, event)
    row = row_from(event, seq, "case_id", drop=("generation_id",))
    if event.type == "case.generated":
        row["generated_by"] = row.get("generated_by") or "ai"
    tx.insert(cases, row)


@handles("case.updated")
async def case_updated(tx: Tx, event: Envelope[Any], seq: int) -> None:
    changes = changes_of(event)
    await _require_parent(tx, suites, changes.get("test_suite_id"), event)
    await tx.update_row(cases, event.data.case_id, event, seq, changes)


@handles("case.deleted")
async def case_deleted(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(cases, event.data.case_id, event)
    await soft_delete(tx, cases, event, seq, cases.c.id == event.data.case_id)


# --- issues -----------------------------------------------------------------------------

@handles("issue.created", "issue.detected")
async def issue_created(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(projects, event.project_id, event, scoped=False)
    await _require_parent(tx, cases, event.data.related_test_case_id, event)
    row = row_from(event, seq, "issue_id", drop=("run_id",))
    if event.type == "issue.detected":
        row["detected_by"] = row.get("detected_by") or "triage"
    tx.insert(issues, row)


@handles("issue.updated")
async def issue_updated(tx: Tx, event: Envelope[Any], seq: int) -> None:
    changes = changes_of(event)
    if changes.get("status") in (IssueStatus.open, IssueStatus.in_progress):
        changes["resolved_at"] = None
    elif changes.get("status") in (IssueStatus.resolved, IssueStatus.closed):
        changes["resolved_at"] = event.time
    await tx.update_row(issues, event.data.issue_id, event, seq, changes)


@handles("issue.resolved")
async def issue_resolved(tx: Tx, event: Envelope[Any], seq: int) -> None:
    values: dict[str, Any] = {"status": IssueStatus.resolved.value, "resolved_at": event.data.resolved_at or event.time}
    await tx.update_row(issues, event.data.issue_id, event, seq, values)


@handles("issue.deleted")
async def issue_deleted(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(issues, event.data.issue_id, event)
    await soft_delete(tx, issues, event, seq, issues.c.id == event.data.issue_id)


# --- API collections ----------------------------------------------------------------------

@handles("collection.created", "collection.imported")
async def collection_created(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(projects, event.project_id, event, scoped=False)
    row = row_from(event, seq, "collection_id", drop=("skipped",))
    if event.type == "collection.imported":
        row["metadata"] = {**row.get("metadata", {}), "skipped": event.data.model_dump(mode="json")["skipped"]}
    tx.insert(collections, row)


@handles("collection.updated")
async def collection_updated(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.update_row(collections, event.data.collection_id, event, seq, changes_of(event))


@handles("collection.deleted")
async def collection_deleted(tx: Tx, event: Envelope[Any], seq: int) -> None:
    await tx.require(collections, event.data.collection_id, event)
    await soft_delete(tx, collections, event, seq, collections.c.id == event.data.collection_id)
