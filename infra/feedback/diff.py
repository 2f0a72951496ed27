"""Field-level differences of an edited artifact, and which agent produced an artifact."""

from typing import Any

from cognitest.schemas.events.feedback import FieldChange

EDITABLE_CASE_FIELDS = ("title", "description", "preconditions", "steps", "executable_steps", "expected_result",
                        "priority", "tags", "requirement_ids", "status")


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """The fields of `after` whose value differs from `before`, in the order given."""
    return [FieldChange(field=name, before=before.get(name), after=value)
            for name, value in after.items() if before.get(name) != value]


def agent_of(kind: str, row: dict[str, Any] | None = None) -> str:
    """plan (plans and suites), security (security cases), case (other cases), triage (issues)."""
    if kind in ("plan", "suite"):
        return "plan"
    if kind == "issue":
        return "triage"
    row = row or {}
    category = (row.get("metadata") or {}).get("category")
    return "security" if category == "security" or "security" in (row.get("tags") or []) else "case"
