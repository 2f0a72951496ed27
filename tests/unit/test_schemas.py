"""The event catalogue: every type registered, versioned, projected and strictly validated."""

import json
import uuid

import pytest

from cognitest.infra.projection.projector import unhandled_types
from cognitest.schemas import InvalidEvent, UnknownEventType, new_event, parse_event, registry
from cognitest.schemas.events.testing import CaseCreated, PlanChanges
from cognitest.schemas.subjects import event_subject, project_filter

CATALOGUE = {
    "project.created", "project.updated", "project.deleted", "member.added", "member.role_changed", "member.removed",
    "requirement.uploaded", "requirement.parsed", "requirement.rejected", "file.uploaded", "file.deleted",
    "plan.created", "plan.updated", "plan.deleted", "plan.generated",
    "suite.created", "suite.updated", "suite.deleted", "suite.generated",
    "case.created", "case.updated", "case.deleted", "case.generated",
    "generation.requested", "generation.progress", "generation.completed", "generation.failed",
    "feedback.recorded", "knowledge.reembed_requested",
    "run.requested", "run.started", "run.case_finished", "run.completed", "run.failed", "run.cancelled",
    "run.cancel_requested", "results.ingested",
    "issue.detected", "issue.created", "issue.updated", "issue.resolved", "issue.deleted", "issue.occurred", "issue.linked",
    "alert.sent", "event.dead_lettered",
    "collection.imported", "collection.created", "collection.updated", "collection.deleted",
    "workflow.defined", "workflow.run_requested", "workflow.triggered", "workflow.step_finished", "workflow.completed",
    "token.created", "token.revoked", "security.scan.requested", "security.scan.finished",
}


def test_catalogue_is_complete_and_every_type_is_projected() -> None:
    assert set(registry) == CATALOGUE
    assert unhandled_types(list(registry)) == []
    for name, model in registry.items():
        assert registry.version(name) >= 1
        assert model.__event_description__, f"{name} has no description"


def test_envelope_round_trip_and_cloudevents_attributes() -> None:
    project = uuid.uuid4()
    event = new_event(CaseCreated(case_id=uuid.uuid4(), title="t", steps=[{"action": "a"}]), project_id=project,
                      actor="alice", correlationid="c1", causationid="e0", traceparent="00-abc-def-01")
    raw = json.loads(event.model_dump_json())
    assert raw["specversion"] == "1.0" and raw["type"] == "case.created" and raw["subject"] == str(project)
    assert raw["dataschema"] == "urn:cognitest:event:case.created:v1"
    assert {"actor", "correlationid", "causationid", "traceparent", "time", "source", "id"} <= raw.keys()
    again = parse_event(raw)
    assert again == event and isinstance(again.data, CaseCreated)


@pytest.mark.parametrize(("raw", "error", "words"), [
    (b"not json", InvalidEvent, "not valid JSON"),
    ([], InvalidEvent, "JSON object"),
    ({"subject": str(uuid.uuid4()), "data": {}}, InvalidEvent, "no 'type'"),
    ({"type": "nope.created", "subject": str(uuid.uuid4()), "data": {}}, UnknownEventType, "unknown event type"),
    ({"type": "plan.created", "subject": str(uuid.uuid4()), "data": {"plan_id": str(uuid.uuid4())}}, InvalidEvent, "data.name"),
    ({"type": "plan.created", "subject": str(uuid.uuid4()), "data": {"plan_id": str(uuid.uuid4()), "name": "x", "extra": 1}},
     InvalidEvent, "data.extra"),
    ({"type": "plan.created", "subject": "proj", "data": {"plan_id": str(uuid.uuid4()), "name": "x"}}, InvalidEvent, "subject"),
    ({"type": "plan.created", "subject": str(uuid.uuid4()), "dataschema": "urn:cognitest:event:plan.created:v9",
      "data": {"plan_id": str(uuid.uuid4()), "name": "x"}}, UnknownEventType, "unsupported schema"),
])
def test_invalid_events_are_refused_with_a_clear_message(raw, error, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=words):
        parse_event(json.dumps(raw).encode() if not isinstance(raw, bytes) else raw)


def test_changes_keep_only_the_fields_given() -> None:
    assert PlanChanges(name="n").set_fields() == {"name": "n"}
    assert PlanChanges().set_fields() == {}


def test_subjects_carry_the_project() -> None:
    assert event_subject("p1", "run.started") == "cognitest.events.p1.run.started"
    assert project_filter("p1", "run.*") == "cognitest.events.p1.run.*"
    assert project_filter("p1", "run") == "cognitest.events.p1.run.>"
    assert project_filter(None, None) == "cognitest.events.*.>"


def test_every_event_type_exports_json_schema() -> None:
    for name in registry:
        schema = registry.envelope(name).model_json_schema()
        assert "data" in schema["properties"] and "type" in schema["properties"]


def test_docs_event_catalogue_is_current() -> None:
    from pathlib import Path

    from cognitest.producers.cli.schemas_cmd import catalogue_markdown

    doc = Path(__file__).resolve().parents[2] / "docs" / "events.md"
    assert doc.read_text() == catalogue_markdown(), "run: cognitest schemas markdown > docs/events.md"
