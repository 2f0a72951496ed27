"""Log lines carry the workflow ids inside an activity and the trace ids inside a span."""

from opentelemetry.sdk.trace import TracerProvider
from temporalio.testing import ActivityEnvironment

from cognitest.infra import tracing
from cognitest.infra.logging import add_workflow_ids


def test_activity_log_lines_name_their_workflow() -> None:
    environment = ActivityEnvironment()
    line = environment.run(lambda: add_workflow_ids(None, "info", {"event": "x"}))
    assert line["workflow_id"] == environment.info.workflow_id and line["activity"] == environment.info.activity_type
    assert add_workflow_ids(None, "info", {"event": "outside"}) == {"event": "outside"}


def test_log_lines_inside_a_span_carry_its_trace(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(tracing, "_enabled", True)
    tracer = TracerProvider().get_tracer("tests")
    with tracer.start_as_current_span("work") as span:
        line = tracing.add_trace_ids(None, "info", {"event": "x"})
        parent = tracing.current_traceparent()
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert parent is not None and parent.startswith(f"00-{line['trace_id']}-{line['span_id']}-")
    assert tracing.add_trace_ids(None, "info", {"event": "outside"}) == {"event": "outside"}
