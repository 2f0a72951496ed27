"""Per-project notification rules, kept in the project's settings under `notifications.rules`."""

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cognitest.schemas.enums import Severity

CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: str = Field(description="HH:MM, local time")
    end: str = Field(description="HH:MM; before start means the next day")
    timezone: str = "UTC"
    allow_critical: bool = Field(default=True, description="critical issues and failed runs still go out")

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not CLOCK.match(value):
            raise ValueError("use HH:MM (24-hour clock)")
        return value


class NotificationRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="rule", max_length=100)
    channel: Literal["slack", "webhook", "email"]
    target: str | None = Field(default=None, max_length=4000,
                               description=(
        "Slack: an incoming-webhook URL or, with a bot token, a channel id; webhook: its URL; email: comma-separated "
        "addresses. Slack may default"))
    secret: str | None = Field(default=None, max_length=512, description="signs webhook deliveries (X-Hub-Signature-256); "
                                  "write-only, encrypted at rest")
    events: list[str] = Field(default_factory=lambda: ["run.failed", "issue.detected"], min_length=1,
                              description="event types (globs such as run.*)")
    where: dict[str, Any] = Field(default_factory=dict, description="payload fields (dotted paths) that must be equal")
    min_severity: Severity | None = None
    quiet_hours: QuietHours | None = None
    repeats: Literal["digest", "each"] = Field(default="digest", description=(
        "issue.occurred: digest = at most one message per issue per digest_minutes, saying since when and in how "
        "many runs it fails; each = a message for every repeat"))
    digest_minutes: int = Field(default=60, ge=1, le=10_080)
    max_per_hour: int | None = Field(default=None, ge=1, le=10_000, description=(
        "at most this many messages per hour from this rule; the rest are recorded as suppressed"))
    enabled: bool = True


class Notifications(BaseModel):
    rules: list[NotificationRule] = Field(default_factory=list, max_length=50)
    quiet_hours: QuietHours | None = None
