"""Enumerations shared by events, read models and the API."""

from enum import StrEnum


class ProjectStatus(StrEnum):
    active = "active"
    archived = "archived"


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    editor = "editor"
    viewer = "viewer"


class Priority(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"


class Severity(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    info = "info"


class CaseStatus(StrEnum):
    draft = "draft"
    ready = "ready"
    passed = "passed"
    failed = "failed"
    blocked = "blocked"
    skipped = "skipped"
    deprecated = "deprecated"


class IssueStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    resolved = "resolved"
    closed = "closed"


class RunStatus(StrEnum):
    requested = "requested"
    running = "running"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


class CaseOutcome(StrEnum):
    passed = "passed"
    failed = "failed"
    error = "error"
    skipped = "skipped"
    flaky = "flaky"
    manual = "manual"
    unverified = "unverified"  # ran, but nothing checked the outcome (a request without assertions)
    untested = "untested"  # a manual case left undone when a person closed the run


class RequirementKind(StrEnum):
    functional = "functional"
    non_functional = "non_functional"
    constraint = "constraint"


class FeedbackVerdict(StrEnum):
    accepted = "accepted"
    rejected = "rejected"
    modified = "modified"
    rated = "rated"


class ArtifactKind(StrEnum):
    plan = "plan"
    suite = "suite"
    case = "case"
    issue = "issue"


class ExecutionStatus(StrEnum):
    running = "running"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"
    timed_out = "timed_out"


class AlertChannel(StrEnum):
    slack = "slack"
    webhook = "webhook"
    email = "email"
    jira = "jira"
    github = "github"
