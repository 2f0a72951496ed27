"""Issues: detected by triage, created by people, updated, resolved."""

from datetime import datetime
from uuid import UUID

from pydantic import Field, StrictBool

from cognitest.schemas.enums import IssueStatus, Severity
from cognitest.schemas.events.common import Changes, Confidence, Json, Payload, Tags, Title
from cognitest.schemas.registry import event
from cognitest.schemas.numbers import JsonInt


class IssueFields(Payload):
    issue_id: UUID
    related_test_case_id: UUID | None = None
    title: Title
    description: str | None = Field(default=None, max_length=100_000)
    severity: Severity = Severity.medium
    status: IssueStatus = IssueStatus.open
    detected_by: str | None = Field(default=None, max_length=50)
    remediation_suggestions: list[str] = Field(default_factory=list)
    ai_confidence: Confidence | None = None
    steps_to_reproduce: list[str] = Field(default_factory=list)
    environment: Json = Field(default_factory=dict)
    attachments: list[Json] = Field(default_factory=list)
    tags: Tags = Field(default_factory=list)
    metadata: Json = Field(default_factory=dict)
    assigned_to: str | None = Field(default=None, max_length=255)


@event("issue.created")
class IssueCreated(IssueFields):
    """A person filed an issue."""


@event("issue.detected")
class IssueDetected(IssueFields):
    """Triage found a new failure signature and opened an issue for it."""

    signature: str | None = Field(default=None, max_length=128)
    run_id: UUID | None = None


class IssueChanges(Changes):
    related_test_case_id: UUID | None = None
    title: Title | None = None
    description: str | None = Field(default=None, max_length=100_000)
    severity: Severity | None = None
    status: IssueStatus | None = None
    remediation_suggestions: list[str] | None = None
    steps_to_reproduce: list[str] | None = None
    environment: Json | None = None
    attachments: list[Json] | None = None
    tags: Tags | None = None
    metadata: Json | None = None
    assigned_to: str | None = Field(default=None, max_length=255)


@event("issue.updated")
class IssueUpdated(Payload):
    """Some fields of an issue changed."""

    issue_id: UUID
    changes: IssueChanges


@event("issue.resolved")
class IssueResolved(Payload):
    """An issue was resolved."""

    issue_id: UUID
    resolution: str | None = Field(default=None, max_length=5_000)
    resolved_at: datetime | None = None


@event("issue.deleted")
class IssueDeleted(Payload):
    """An issue was deleted."""

    issue_id: UUID


@event("alert.sent")
class AlertSent(Payload):
    """A notification was delivered (or failed to be) to a channel."""

    alert_id: UUID
    channel: str = Field(max_length=32)
    target: str = Field(max_length=500)
    about_event_id: str | None = Field(default=None, max_length=128)
    ok: StrictBool
    status_code: JsonInt | None = None
    error: str | None = Field(default=None, max_length=2_000)


@event("issue.occurred")
class IssueOccurred(Payload):
    """A failure was triaged as another occurrence of an issue (a resolved issue is reopened)."""

    issue_id: UUID
    signature: str = Field(max_length=128)
    run_id: UUID | None = None
    case_id: UUID | None = None
    case_key: str | None = Field(default=None, max_length=500)
    error: str | None = Field(default=None, max_length=2_000)
    match: str = Field(default="signature", max_length=32, description="new, signature or similar")
    similarity: Confidence | None = None


@event("issue.linked")
class IssueLinked(Payload):
    """An issue was created or updated in an external tracker (JIRA, GitHub)."""

    issue_id: UUID
    tracker: str = Field(max_length=32)
    key: str = Field(max_length=200)
    url: str | None = Field(default=None, max_length=2000)
    status: str | None = Field(default=None, max_length=100, description="the ticket's status there, as last told")


@event("event.dead_lettered")
class EventDeadLettered(Payload):
    """A consumer gave up on a message and put it in the dead-letter stream (re-drive it after a
    fix). Notification rules can alert on it."""

    consumer: str = Field(max_length=100)
    reason: str = Field(max_length=2_000)
    stream_seq: JsonInt = Field(ge=0)
    event_type: str | None = Field(default=None, max_length=128)
    original_event_id: str | None = Field(default=None, max_length=128)
