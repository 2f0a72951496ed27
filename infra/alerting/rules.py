"""Which of a project's rules an event fires, and whether quiet hours hold it back."""

from datetime import datetime, time
from fnmatch import fnmatchcase
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from cognitest.infra.automations.matching import SEVERITY_ORDER, fields_match
from cognitest.schemas.notifications import NotificationRule, Notifications, QuietHours


def project_rules(settings: dict[str, Any]) -> tuple[list[NotificationRule], QuietHours | None]:
    """The valid rules of a project's settings (an invalid block is ignored, not fatal)."""
    try:
        notifications = Notifications.model_validate((settings or {}).get("notifications") or {}, strict=False)
    except ValidationError:
        return [], None
    return [r for r in notifications.rules if r.enabled], notifications.quiet_hours


def _severity(data: dict[str, Any]) -> str | None:
    return data.get("severity")


def fires(rule: NotificationRule, event_type: str, data: dict[str, Any]) -> bool:
    if not any(fnmatchcase(event_type, pattern) for pattern in rule.events):
        return False
    if not fields_match(data, rule.where):
        return False
    if rule.min_severity is not None:
        severity = _severity(data)
        if severity not in SEVERITY_ORDER or SEVERITY_ORDER.index(severity) < SEVERITY_ORDER.index(rule.min_severity.value):
            return False
    return True


def in_quiet_hours(quiet: QuietHours | None, now: datetime, critical: bool) -> bool:
    if quiet is None or (critical and quiet.allow_critical):
        return False
    local = now.astimezone(ZoneInfo(quiet.timezone)).time()
    start, end = time.fromisoformat(quiet.start), time.fromisoformat(quiet.end)
    return start <= local < end if start <= end else local >= start or local < end


def is_critical(event_type: str, data: dict[str, Any]) -> bool:
    return event_type == "run.failed" or _severity(data) == "critical"
