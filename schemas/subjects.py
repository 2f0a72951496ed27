"""NATS subject naming: the project is part of every subject, so one project's events can be
subscribed to on their own (`cognitest.events.<project>.>`)."""

EVENTS_STREAM = "COGNITEST_EVENTS"
EVENTS_PREFIX = "cognitest.events"
DLQ_STREAM = "COGNITEST_DLQ"
DLQ_PREFIX = "cognitest.dlq"
APPLIED_PREFIX = "cognitest.applied"


def event_subject(project_id: str, event_type: str) -> str:
    return f"{EVENTS_PREFIX}.{project_id}.{event_type}"


def project_filter(project_id: str | None = None, type_pattern: str | None = None) -> str:
    """A subscription filter for one project (or all) and a type pattern such as `run.*`."""
    pattern = type_pattern or ">"
    if "." not in pattern and pattern not in (">", "*"):
        pattern = f"{pattern}.>"
    return f"{EVENTS_PREFIX}.{project_id or '*'}.{pattern}"


def dlq_subject(consumer: str, project_id: str, event_type: str) -> str:
    return f"{DLQ_PREFIX}.{consumer}.{project_id or '_'}.{event_type or '_'}"


def applied_subject(project_id: str) -> str:
    return f"{APPLIED_PREFIX}.{project_id}"
