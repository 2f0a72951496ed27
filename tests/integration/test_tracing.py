"""One trace from an HTTP request to the follow-up events: API -> generation.requested ->
the generation consumer -> the GenerationPipeline workflow and its activities -> plan.generated
-> the projection, all exported over OTLP to a recording collector on 127.0.0.1."""

import json
import secrets
from pathlib import Path

import httpx

from cognitest.schemas.subjects import EVENTS_STREAM, event_subject
from tests.conftest import eventually
from tests.integration.test_generation import generate, upload
from tests.support.fake_services import FakeServices
from tests.support.stack import PlatformStack

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SERVER, CONSUMER = 2, 5  # OTLP span kinds


async def test_a_generation_is_one_trace_across_api_bus_consumers_and_temporal(
        stack: PlatformStack, api: httpx.AsyncClient, project: dict, outside: FakeServices) -> None:
    pid = project["id"]
    assert (await upload(api, pid, ("login_spec.md", (FIXTURES / "login_spec.md").read_bytes()))).status_code == 201
    trace_id, caller = secrets.token_hex(16), secrets.token_hex(8)
    api.headers["traceparent"] = f"00-{trace_id}-{caller}-01"
    try:
        status = await generate(api, pid, engine="offline")
    finally:
        del api.headers["traceparent"]
    assert status["status"] == "completed", status

    # the events themselves carry the trace: the request and what the workflow published
    assert stack.publisher is not None
    for event_type in ("generation.requested", "plan.generated", "generation.completed"):
        stored = await stack.publisher.js.get_last_msg(EVENTS_STREAM, event_subject(pid, event_type))
        assert json.loads(stored.data)["traceparent"].startswith(f"00-{trace_id}-"), event_type

    wanted = {"api", "generation-consumer", "workflow", "activity", "projection"}

    async def whole_trace():  # spans arrive in batches from three processes
        spans = [s for s in outside.spans() if s["trace_id"] == trace_id]
        seen = {
            "api": any(s["service"] == "cognitest-api" and s["kind"] == SERVER and s["parent"] == caller for s in spans),
            "generation-consumer": any(s["service"] == "cognitest-consumers" and s["name"] == "generation generation.requested"
                                       for s in spans),
            "workflow": any(s["service"] == "cognitest-worker" and s["name"] == "RunWorkflow:GenerationPipeline" for s in spans),
            "activity": any(s["service"] == "cognitest-worker" and s["name"] == "RunActivity:publish_generation" for s in spans),
            "projection": any(s["service"] == "cognitest-consumers" and s["name"] == "projection plan.generated"
                              for s in spans),
        }
        return spans if {k for k, v in seen.items() if v} == wanted else None

    spans = await eventually(whole_trace, timeout=30, interval=0.5)
    assert spans, "the trace is incomplete: " + ", ".join(sorted({f"{s['service']}:{s['name']}" for s in outside.spans()
                                                                   if s["trace_id"] == trace_id}))
    by_id = {s["span_id"]: s for s in spans}
    server = next(s for s in spans if s["service"] == "cognitest-api" and s["kind"] == SERVER)
    consumer = next(s for s in spans if s["name"] == "generation generation.requested")
    assert consumer["kind"] == CONSUMER and consumer["parent"] in by_id
    assert by_id[consumer["parent"]]["service"] == "cognitest-api"  # the event's traceparent is the request's span
    assert server["attributes"].get("http.route", "").endswith("/generations")
    assert consumer["attributes"]["cognitest.project"] == pid


async def test_tracing_is_off_without_an_endpoint() -> None:
    from cognitest.infra import tracing
    from cognitest.infra.settings import TracingSettings

    assert tracing.setup_tracing(TracingSettings(), "tests") is False
    assert tracing.current_traceparent() is None and tracing.temporal_interceptors() == []
