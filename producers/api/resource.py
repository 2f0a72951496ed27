"""Describing a resource once: its table, its events, its filters. Routes (HTTP) and the CLI's
listing options are generated from these descriptions."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Table

from cognitest.infra.db import models as m
from cognitest.schemas.enums import CaseStatus, IssueStatus, Priority, ProjectStatus, Severity
from cognitest.schemas.events import collections as col, issues as iss, projects as prj, testing as tst


@dataclass(frozen=True)
class Filter:
    param: str
    column: str
    kind: Any = str  # an Enum class, UUID, or str
    many: bool = True
    help: str = ""


@dataclass(frozen=True)
class Resource:
    plural: str
    singular: str
    table: Table
    id_field: str
    create: type[BaseModel]
    update: type[BaseModel]
    changes: type[BaseModel]
    delete: type[BaseModel] | None
    filters: tuple[Filter, ...] = ()
    parents: dict[str, Table] = field(default_factory=dict)  # body field -> table holding it
    sorts: tuple[str, ...] = ("created_at", "updated_at")
    text_column: str = "name"
    extra_events: dict[str, type[BaseModel]] = field(default_factory=dict)


def _t(model: Any) -> Table:
    return model.__table__


TAG = Filter("tag", "tags", str, True, "only items carrying every given tag")

PROJECTS = Resource(
    "projects", "project", _t(m.Project), "project_id", prj.ProjectCreated, prj.ProjectUpdated,
    prj.ProjectChanges, prj.ProjectDeleted,
    filters=(Filter("status", "status", ProjectStatus), Filter("owner_id", "owner_id", str)),
    sorts=("created_at", "updated_at", "name"),
)
PLANS = Resource(
    "plans", "plan", _t(m.TestPlan), "plan_id", tst.PlanCreated, tst.PlanUpdated, tst.PlanChanges,
    tst.PlanDeleted, filters=(TAG,), sorts=("created_at", "updated_at", "name"),
)
SUITES = Resource(
    "suites", "suite", _t(m.TestSuite), "suite_id", tst.SuiteCreated, tst.SuiteUpdated, tst.SuiteChanges,
    tst.SuiteDeleted, filters=(Filter("plan_id", "test_plan_id", "uuid"), TAG),
    parents={"plan_id": _t(m.TestPlan)}, sorts=("created_at", "updated_at", "name"),
)
CASES = Resource(
    "cases", "case", _t(m.TestCase), "case_id", tst.CaseCreated, tst.CaseUpdated, tst.CaseChanges,
    tst.CaseDeleted,
    filters=(Filter("status", "status", CaseStatus), Filter("priority", "priority", Priority),
             Filter("suite_id", "test_suite_id", "uuid"), TAG),
    parents={"suite_id": _t(m.TestSuite)}, sorts=("created_at", "updated_at", "title", "priority", "status"),
    text_column="title",
)
ISSUES = Resource(
    "issues", "issue", _t(m.Issue), "issue_id", iss.IssueCreated, iss.IssueUpdated, iss.IssueChanges,
    iss.IssueDeleted,
    filters=(Filter("status", "status", IssueStatus), Filter("severity", "severity", Severity), TAG),
    parents={"related_test_case_id": _t(m.TestCase)},
    sorts=("created_at", "updated_at", "title", "severity", "status"), text_column="title",
)
COLLECTIONS = Resource(
    "collections", "collection", _t(m.ApiCollection), "collection_id", col.CollectionCreated,
    col.CollectionUpdated, col.CollectionChanges, col.CollectionDeleted, filters=(TAG,),
    sorts=("created_at", "updated_at", "name"),
)
NESTED = (PLANS, SUITES, CASES, ISSUES, COLLECTIONS)


def enum_values(kind: Any) -> list[str] | None:
    return [e.value for e in kind] if isinstance(kind, type) and issubclass(kind, StrEnum) else None
