"""Read-model tables. Columns follow the seed's data model; every projected row also keeps the
stream sequence of the event that last changed it (`last_event_seq`) so a late redelivery never
rolls it back, and a `deleted_at` tombstone so a late update never resurrects it."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    func,
    text as sa_text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _json_list() -> Any:
    return mapped_column(JSONB, nullable=False, server_default=sa_text("'[]'::jsonb"), default=list)


def _json_obj() -> Any:
    return mapped_column(JSONB, nullable=False, server_default=sa_text("'{}'::jsonb"), default=dict)


class Tracked:
    """Columns every projected resource has."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_event_seq: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=sa_text("0"))
    # field (or "column.key" of a merged JSON column) -> stream sequence of the event that last set it
    field_seqs: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=sa_text("'{}'::jsonb"),
                                                       default=dict)


class Project(Tracked, Base):
    __tablename__ = "projects"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(50))
    owner_id: Mapped[str] = mapped_column(String(255))
    team_ids: Mapped[list[str]] = _json_list()
    settings: Mapped[dict[str, Any]] = _json_obj()
    ai_context: Mapped[dict[str, Any]] = _json_obj()
    __table_args__ = (Index("idx_projects_owner", "owner_id"), Index("idx_projects_status", "status"))


class ProjectMember(Base):
    __tablename__ = "project_members"
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    role: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_event_seq: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=sa_text("0"))
    __table_args__ = (Index("idx_project_members_user", "user_id"),)


class TestPlan(Tracked, Base):
    __tablename__ = "test_plans"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    objectives: Mapped[list[str]] = _json_list()
    generated_by: Mapped[str | None] = mapped_column(String(50))
    source_documents: Mapped[list[str]] = _json_list()
    confidence_score: Mapped[float | None] = mapped_column(Float)
    sections: Mapped[dict[str, Any]] = _json_obj()
    tags: Mapped[list[str]] = _json_list()
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, nullable=False, server_default=sa_text("'{}'::jsonb"), default=dict)
    created_by: Mapped[str] = mapped_column(String(255))
    __table_args__ = (
        Index("idx_test_plans_project", "project_id"),
        Index("idx_test_plans_created", sa_text("created_at DESC")),
    )


class TestSuite(Tracked, Base):
    __tablename__ = "test_suites"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    test_plan_id: Mapped[UUID | None] = mapped_column(ForeignKey("test_plans.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    generated_by: Mapped[str | None] = mapped_column(String(50))
    execution_history: Mapped[list[Any]] = _json_list()
    tags: Mapped[list[str]] = _json_list()
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, nullable=False, server_default=sa_text("'{}'::jsonb"), default=dict)
    created_by: Mapped[str] = mapped_column(String(255))
    __table_args__ = (Index("idx_test_suites_project", "project_id"), Index("idx_test_suites_plan", "test_plan_id"))


class TestCase(Tracked, Base):
    __tablename__ = "test_cases"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    test_suite_id: Mapped[UUID | None] = mapped_column(ForeignKey("test_suites.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    preconditions: Mapped[str | None] = mapped_column(Text)
    steps: Mapped[list[Any]] = _json_list()
    executable_steps: Mapped[list[Any]] = _json_list()
    expected_result: Mapped[str | None] = mapped_column(Text)
    actual_result: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(50))
    priority: Mapped[str | None] = mapped_column(String(50))
    ai_generated: Mapped[bool] = mapped_column(Boolean, server_default=sa_text("false"), default=False)
    generated_by: Mapped[str | None] = mapped_column(String(50))
    confidence_score: Mapped[float | None] = mapped_column(Float)
    requirement_ids: Mapped[list[str]] = _json_list()
    execution_logs: Mapped[list[Any]] = _json_list()
    tags: Mapped[list[str]] = _json_list()
    attachments: Mapped[list[Any]] = _json_list()
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, nullable=False, server_default=sa_text("'{}'::jsonb"), default=dict)
    created_by: Mapped[str] = mapped_column(String(255))
    assigned_to: Mapped[str | None] = mapped_column(String(255))
    __table_args__ = (
        Index("idx_test_cases_project", "project_id"),
        Index("idx_test_cases_suite", "test_suite_id"),
        Index("idx_test_cases_status", "status"),
        Index("idx_test_cases_priority", "priority"),
        Index("idx_test_cases_tags", "tags", postgresql_using="gin"),
    )


class Issue(Tracked, Base):
    __tablename__ = "issues"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    related_test_case_id: Mapped[UUID | None] = mapped_column(ForeignKey("test_cases.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str | None] = mapped_column(String(50))
    detected_by: Mapped[str | None] = mapped_column(String(50))
    remediation_suggestions: Mapped[list[str]] = _json_list()
    ai_confidence: Mapped[float | None] = mapped_column(Float)
    steps_to_reproduce: Mapped[list[str]] = _json_list()
    environment: Mapped[dict[str, Any]] = _json_obj()
    attachments: Mapped[list[Any]] = _json_list()
    tags: Mapped[list[str]] = _json_list()
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, nullable=False, server_default=sa_text("'{}'::jsonb"), default=dict)
    signature: Mapped[str | None] = mapped_column(String(128))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(255))
    assigned_to: Mapped[str | None] = mapped_column(String(255))
    occurrences: Mapped[int] = mapped_column(Integer, nullable=False, server_default=sa_text("0"), default=0)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    run_ids: Mapped[list[str]] = _json_list()
    external: Mapped[dict[str, Any]] = _json_obj()
    __table_args__ = (
        Index("idx_issues_project", "project_id"),
        Index("idx_issues_status", "status"),
        Index("idx_issues_severity", "severity"),
        Index("idx_issues_signature", "project_id", "signature"),
    )


class ApiCollection(Tracked, Base):
    __tablename__ = "api_collections"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    requests: Mapped[list[Any]] = _json_list()
    environment: Mapped[dict[str, Any]] = _json_obj()
    imported_from: Mapped[str | None] = mapped_column(String(100))
    source_url: Mapped[str | None] = mapped_column(String(500))
    tags: Mapped[list[str]] = _json_list()
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, nullable=False, server_default=sa_text("'{}'::jsonb"), default=dict)
    created_by: Mapped[str] = mapped_column(String(255))
    __table_args__ = (Index("idx_api_collections_project", "project_id"),)


class RequirementDocument(Tracked, Base):
    __tablename__ = "requirement_documents"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    blob_ref: Mapped[str] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(50))
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255))
    __table_args__ = (Index("idx_requirement_documents_project", "project_id"),)


class ProjectFile(Tracked, Base):
    """A test data file of a project (upload steps name it `file:<id>`); the bytes are in the blob store."""

    __tablename__ = "project_files"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    blob_ref: Mapped[str] = mapped_column(String(1024))
    created_by: Mapped[str] = mapped_column(String(255))
    __table_args__ = (Index("idx_project_files_project", "project_id"),)


class Requirement(Base):
    __tablename__ = "requirements"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    document_id: Mapped[UUID] = mapped_column(ForeignKey("requirement_documents.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(50))
    priority: Mapped[str] = mapped_column(String(50))
    acceptance_criteria: Mapped[list[Any]] = _json_list()
    section: Mapped[str | None] = mapped_column(String(500))
    line_start: Mapped[int | None] = mapped_column(Integer)
    line_end: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, nullable=False, server_default=sa_text("0"), default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_event_seq: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=sa_text("0"))
    __table_args__ = (Index("idx_requirements_project", "project_id"), Index("idx_requirements_document", "document_id"))


class Generation(Tracked, Base):
    __tablename__ = "generations"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(50))
    request: Mapped[dict[str, Any]] = _json_obj()
    progress: Mapped[dict[str, Any]] = _json_obj()
    result: Mapped[dict[str, Any]] = _json_obj()
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255))
    __table_args__ = (Index("idx_generations_project", "project_id"),)


class Run(Tracked, Base):
    __tablename__ = "runs"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(255))
    test_plan_id: Mapped[UUID | None] = mapped_column()
    test_suite_id: Mapped[UUID | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(50))
    source: Mapped[str] = mapped_column(String(50), server_default=sa_text("'requested'"))
    request: Mapped[dict[str, Any]] = _json_obj()
    totals: Mapped[dict[str, Any]] = _json_obj()
    commit: Mapped[str | None] = mapped_column(String(64))
    branch: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(255))
    __table_args__ = (Index("idx_runs_project_created", "project_id", sa_text("created_at DESC")), Index("idx_runs_status", "status"))


class RunResult(Base):
    __tablename__ = "run_results"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    run_id: Mapped[UUID] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    test_case_id: Mapped[UUID | None] = mapped_column()
    key: Mapped[str | None] = mapped_column(String(1000))
    outcome: Mapped[str] = mapped_column(String(50))
    duration_ms: Mapped[int] = mapped_column(BigInteger, server_default=sa_text("0"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=sa_text("1"))
    error: Mapped[str | None] = mapped_column(Text)
    log: Mapped[list[Any]] = _json_list()
    artifacts: Mapped[list[Any]] = _json_list()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __table_args__ = (Index("idx_run_results_run", "run_id"), Index("idx_run_results_case", "test_case_id", sa_text("created_at DESC")))


class Feedback(Base):
    __tablename__ = "feedback"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    artifact_kind: Mapped[str] = mapped_column(String(50))
    artifact_id: Mapped[UUID] = mapped_column()
    verdict: Mapped[str] = mapped_column(String(50))
    agent: Mapped[str] = mapped_column(String(50))
    reason: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    diff: Mapped[list[dict[str, Any]]] = _json_list()
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __table_args__ = (Index("idx_feedback_project_created", "project_id", sa_text("created_at DESC")), Index("idx_feedback_artifact", "artifact_id"),
                      Index("idx_feedback_project_agent", "project_id", "agent", "created_at"))


class Workflow(Tracked, Base):
    __tablename__ = "workflows"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    graph: Mapped[dict[str, Any]] = _json_obj()
    enabled: Mapped[bool] = mapped_column(Boolean, server_default=sa_text("true"))
    created_by: Mapped[str] = mapped_column(String(255))
    __table_args__ = (Index("idx_workflows_project", "project_id"),)


class WorkflowVersion(Base):
    """Every saved version of an automation: what each execution ran stays readable."""

    __tablename__ = "workflow_versions"
    workflow_id: Mapped[UUID] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    graph: Mapped[dict[str, Any]] = _json_obj()
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WorkflowExecution(Base):
    __tablename__ = "workflow_executions"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    workflow_id: Mapped[UUID | None] = mapped_column()
    trigger: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(50))
    input: Mapped[dict[str, Any]] = _json_obj()
    steps: Mapped[list[Any]] = _json_list()
    output: Mapped[dict[str, Any]] = _json_obj()
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retry_of: Mapped[str | None] = mapped_column(String(255))
    version: Mapped[int | None] = mapped_column(Integer)
    last_event_seq: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=sa_text("0"))
    __table_args__ = (Index("idx_workflow_executions_project", "project_id", sa_text("started_at DESC")),)


class Alert(Base):
    __tablename__ = "alerts"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    project_id: Mapped[UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(500))
    about_event_id: Mapped[str | None] = mapped_column(String(128))
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __table_args__ = (Index("idx_alerts_project", "project_id", sa_text("created_at DESC")),)


class Delivery(Base):
    """Outbound side effects already done (Slack, JIRA, GitHub, email, webhooks), by idempotency
    key: a retried activity or a redelivered event finds its key and does not post twice."""

    __tablename__ = "deliveries"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    response: Mapped[dict[str, Any]] = _json_obj()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RunLease(Base):
    """A run holding one of its project's execution slots (per-project run quota). Renewed while
    the run lasts; a lease not renewed within its time to live belonged to a crashed process."""

    __tablename__ = "run_leases"
    run_id: Mapped[UUID] = mapped_column(primary_key=True)
    project_id: Mapped[UUID] = mapped_column(index=False)
    holder: Mapped[str] = mapped_column(String(255))
    renewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __table_args__ = (Index("idx_run_leases_project", "project_id"),)


class AppliedEvent(Base):
    """Events the projection has applied, written in the same transaction as their effect."""

    __tablename__ = "applied_events"
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    stream_seq: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(128))
    project_id: Mapped[UUID | None] = mapped_column()
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # the audit log: who did it and when, queryable per project and per actor
    actor: Mapped[str | None] = mapped_column(String(255))
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("idx_applied_events_seq", "stream_seq"),
                      Index("idx_applied_events_project_seq", "project_id", "stream_seq"),
                      Index("idx_applied_events_project_actor", "project_id", "actor", "stream_seq"))
