"""Which automations an event starts: enabled definitions with an event trigger whose type glob,
payload fields and minimum severity all match."""

from fnmatch import fnmatchcase
from typing import Any

from cognitest.schemas.automation.execution import Definition
from cognitest.schemas.automation.nodes import EventTrigger
from cognitest.schemas.automation.templates import lookup

SEVERITY_ORDER = ["info", "low", "medium", "high", "critical"]


def _severity_ok(data: dict[str, Any], minimum: str | None) -> bool:
    if minimum is None:
        return True
    severity = data.get("severity")
    return severity in SEVERITY_ORDER and SEVERITY_ORDER.index(severity) >= SEVERITY_ORDER.index(minimum)


def fields_match(data: dict[str, Any], where: dict[str, Any]) -> bool:
    """Every `where` entry equals the payload's value; keys may be dotted paths (`changes.status`)."""
    return all(str(lookup(data, field)) == str(value) for field, value in where.items())


def event_matches(trigger: EventTrigger, event_type: str, data: dict[str, Any]) -> bool:
    return (fnmatchcase(event_type, trigger.event_type) and fields_match(data, trigger.where)
            and _severity_ok(data, trigger.min_severity.value if trigger.min_severity else None))


def matching_triggers(definitions: list[Definition], event_type: str, data: dict[str, Any]) -> list[tuple[Definition, str]]:
    """(definition, trigger node id) for every event trigger the event fires."""
    if event_type.startswith("workflow."):
        return []  # an automation's own bookkeeping never triggers automations (no feedback loops)
    fired = []
    for definition in definitions:
        if not definition.enabled:
            continue
        for node in definition.graph.get("nodes", []):
            if node.get("type") != "trigger.event":
                continue
            trigger = EventTrigger.model_validate(node.get("config", {}))
            if event_matches(trigger, event_type, data):
                fired.append((definition, node["id"]))
    return fired
