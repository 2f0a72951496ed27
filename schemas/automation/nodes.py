"""The node types of an automation graph and the configuration each one takes.

Every string in a configuration may hold templates (`{{ trigger.run_id }}`,
`{{ nodes.run.output.failed }}`, `{{ item.title }}`), filled in when the node runs."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from cognitest.schemas.enums import Severity
from cognitest.schemas.numbers import JsonInt, JsonNumber


class NodeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    continue_on_error: StrictBool = Field(default=False, description="an action that fails gives {error} instead of failing the execution")


# --- triggers ---------------------------------------------------------------------------------

class ManualTrigger(NodeConfig):
    """Started by a person (API, CLI, UI)."""


class ScheduleTrigger(NodeConfig):
    """Started by a Temporal Schedule: a cron expression in a time zone, or a fixed interval."""

    cron: str | None = Field(default=None, max_length=200, description="five-field cron, e.g. '0 2 * * 1-5'")
    timezone: str = Field(default="UTC", max_length=64)
    interval_seconds: Annotated[JsonInt, Field(ge=1, le=31_536_000)] | None = Field(default=None)
    input: dict[str, Any] = Field(default_factory=dict, description="what the trigger gives the graph")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone: {value!r}") from None
        return value


class WebhookTrigger(NodeConfig):
    """Started by POST /api/v1/hooks/{project}/{automation}; the JSON body is the trigger's input."""

    secret: str = Field(min_length=16, max_length=512,
                        description="HMAC-SHA256 key (required: anyone could start the automation otherwise); "
                                    "requests must carry X-Hub-Signature-256. Write-only, encrypted at rest")


class EventTrigger(NodeConfig):
    """Started by every event of a type (glob: `run.failed`, `run.*`) whose payload matches."""

    event_type: str = Field(min_length=1, max_length=128, pattern=r"^[a-z_*]+(\.[a-z_*]+)*$")
    where: dict[str, Any] = Field(default_factory=dict, description="payload fields (dotted paths) that must be equal")
    min_severity: Severity | None = Field(default=None, description="for issue events: at least this severe")


# --- actions ----------------------------------------------------------------------------------

class RunSuite(NodeConfig):
    """Request a run (run.requested) and wait for its result. Give a suite, a plan, cases, or an
    issue (its related case is run: the verifying re-run of a fix)."""

    suite_id: str | None = Field(default=None, max_length=500)
    issue_id: str | None = Field(default=None, max_length=500)
    plan_id: str | None = Field(default=None, max_length=500)
    case_ids: list[str] = Field(default_factory=list)
    environment: dict[str, Any] = Field(default_factory=dict)
    browsers: list[str] = Field(default_factory=lambda: ["chromium"])
    retries: JsonInt = Field(default=0, ge=0, le=10)
    timeout_minutes: JsonInt = Field(default=120, ge=1, le=7 * 24 * 60)


class GeneratePlan(NodeConfig):
    """Request a generation (generation.requested) from documents and wait for it to finish."""

    document_ids: list[str] = Field(default_factory=list)
    document_id: str | None = Field(default=None, max_length=500, description="one document (templated)")
    engine: str | None = Field(default=None, max_length=200)
    timeout_minutes: JsonInt = Field(default=60, ge=1, le=24 * 60)


class HttpRequest(NodeConfig):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url: str = Field(min_length=1, max_length=2000)
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    expect_status: list[int] = Field(default_factory=list, description="empty = any 2xx")
    timeout_seconds: JsonNumber = Field(default=30.0, gt=0, le=300)


class SlackMessage(NodeConfig):
    text: str = Field(min_length=1, max_length=40_000)
    webhook_url: str | None = Field(default=None, max_length=4000, description="unset = the configured default")
    channel: str | None = Field(default=None, max_length=100, description=(
        "a channel id for the bot token (integrations.slack_bot_token) instead of a webhook"))


class JiraIssue(NodeConfig):
    summary: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=30_000)
    project_key: str | None = Field(default=None, max_length=50)
    issue_type: str | None = Field(default=None, max_length=50)
    labels: list[str] = Field(default_factory=list)
    issue_id: str | None = Field(default=None, max_length=200, description=(
        "the Cognitest issue the ticket is about (e.g. {{ trigger.data.issue_id }}): one ticket per issue, shared "
        "with issue sync, and the issue is linked to it"))


class GithubIssue(NodeConfig):
    title: str = Field(min_length=1, max_length=500)
    body: str = Field(default="", max_length=60_000)
    repo: str | None = Field(default=None, max_length=200, description="owner/name; unset = the configured one")
    labels: list[str] = Field(default_factory=list)
    issue_id: str | None = Field(default=None, max_length=200, description=(
        "the Cognitest issue the ticket is about (e.g. {{ trigger.data.issue_id }}): one ticket per issue, shared "
        "with issue sync, and the issue is linked to it"))


class Email(NodeConfig):
    to: list[str] = Field(min_length=1, max_length=50)
    subject: str = Field(min_length=1, max_length=500)
    body: str = Field(default="", max_length=100_000)


class PublishEvent(NodeConfig):
    """Publish an event of a registered type into the project's stream."""

    type: str = Field(min_length=1, max_length=128)
    data: dict[str, Any] = Field(default_factory=dict)


# --- logic ------------------------------------------------------------------------------------

Operator = Literal["==", "!=", ">", ">=", "<", "<=", "contains", "in", "truthy", "falsy"]


class Condition(NodeConfig):
    """Follow the edge labelled `true` or `false`."""

    left: Any = None
    op: Operator = "truthy"
    right: Any = None


class Switch(NodeConfig):
    """Follow the edge labelled with the value, else the one labelled `default`."""

    value: str = Field(max_length=2000)
    cases: list[str] = Field(min_length=1, max_length=50)


class Delay(NodeConfig):
    seconds: JsonInt = Field(ge=0, le=30 * 24 * 3600)


class Approval(NodeConfig):
    """Wait for a person to approve or reject (edges `approved` / `rejected`)."""

    prompt: str = Field(default="Approve?", max_length=2000)
    timeout_hours: JsonNumber = Field(default=72.0, gt=0, le=24 * 30)


class ForEach(NodeConfig):
    """Run the branch on the edge `each` once per item (as `item`, `index`), then follow `done`."""

    items: Any = Field(description="a list, or a template that yields one")
    max_items: JsonInt = Field(default=100, ge=1, le=1000)


TRIGGERS: dict[str, type[NodeConfig]] = {
    "trigger.manual": ManualTrigger, "trigger.schedule": ScheduleTrigger,
    "trigger.webhook": WebhookTrigger, "trigger.event": EventTrigger,
}
ACTIONS: dict[str, type[NodeConfig]] = {
    "run_suite": RunSuite, "generate_plan": GeneratePlan, "http_request": HttpRequest, "slack": SlackMessage,
    "jira": JiraIssue, "github": GithubIssue, "email": Email, "publish_event": PublishEvent,
}
LOGIC: dict[str, type[NodeConfig]] = {
    "condition": Condition, "switch": Switch, "delay": Delay, "approval": Approval, "for_each": ForEach,
}
NODE_TYPES: dict[str, type[NodeConfig]] = {**TRIGGERS, **ACTIONS, **LOGIC}
# the edge labels a node type may have; None = plain edges only
EDGE_LABELS: dict[str, set[str] | None] = {
    "condition": {"true", "false"}, "approval": {"approved", "rejected"}, "for_each": {"each", "done"},
}
