"""Property-based tests: every parser and the event envelope, fed arbitrary input, either returns
a value or raises its own documented error with a message; never anything else."""

import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cognitest.infra.automations.definitions import validate
from cognitest.infra.collections.importers import CollectionFormatError, import_collection
from cognitest.infra.requirements.convert import DocumentError, convert
from cognitest.infra.requirements.sniff import EmptyDocument, UnsafeDocument, UnsupportedDocument, sniff
from cognitest.infra.requirements.split import split
from cognitest.infra.results.junit import MalformedReport, parse_junit
from cognitest.infra.triage.signature import signature_of
from cognitest.schemas import InvalidEvent, UnknownEventType, parse_event
from cognitest.schemas.automation.graph import GraphInvalid
from cognitest.schemas.automation.templates import render

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30)
event_like = st.fixed_dictionaries({
    "type": st.sampled_from(["case.created", "run.requested", "workflow.defined", "issue.occurred", "nope.x", ""]),
    "subject": st.one_of(st.uuids().map(str), st.text(max_size=20)),
    "id": st.text(max_size=40), "data": json_values,
}, optional={"time": st.text(max_size=30), "specversion": st.text(max_size=5), "actor": json_values})


def _message(exc: Exception) -> str:
    text = str(exc)
    assert text.strip(), f"{type(exc).__name__} without a message"
    return text


@FAST
@given(st.one_of(st.binary(max_size=300), event_like.map(lambda d: json.dumps(d).encode()), json_values.map(json.dumps)))
def test_event_envelope(raw: bytes) -> None:
    try:
        event = parse_event(raw)
    except (InvalidEvent, UnknownEventType) as exc:
        _message(exc)
    else:
        assert event.type and event.data is not None


xmlish = st.lists(st.sampled_from(["<testsuite>", "</testsuite>", "<testcase name='a' classname='b'>", "</testcase>",
                                   "<failure message='m'>", "</failure>", "<!DOCTYPE x [<!ENTITY e 'x'>]>", "&e;", "<",
                                   "<testsuites>", "</testsuites>", "time='abc'", "<skipped/>", "text"]), max_size=12)


@FAST
@given(st.one_of(st.binary(max_size=300), xmlish.map(lambda parts: "".join(parts).encode())))
def test_junit_parser(data: bytes) -> None:
    try:
        results = parse_junit(data, "x.xml")
    except MalformedReport as exc:
        _message(exc)
    else:
        assert all(r.key for r in results)


@FAST
@given(st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode()),
                 json_values.map(lambda v: json.dumps({"info": {"schema": "v2.1.0"}, "item": v}).encode()),
                 json_values.map(lambda v: json.dumps({"openapi": "3.0.0", "paths": v}).encode())))
def test_collection_import(data: bytes) -> None:
    try:
        imported = import_collection(data)
    except CollectionFormatError as exc:
        _message(exc)
    else:
        assert imported is not None


@FAST
@given(st.one_of(st.binary(max_size=400), st.text(string.printable, max_size=400).map(str.encode)))
def test_requirement_documents(data: bytes) -> None:
    try:
        kind = sniff(data, max_unzipped=10**6, max_ratio=100)
        requirements = split(convert(data, kind))
    except (UnsupportedDocument, UnsafeDocument, EmptyDocument, DocumentError) as exc:
        _message(exc)
    else:
        assert all(r.key and r.text and "\x00" not in r.text for r in requirements)


@FAST
@given(json_values)
def test_automation_graphs(raw: object) -> None:
    try:
        graph = validate(raw)
    except GraphInvalid as exc:
        assert exc.problems and _message(exc)
    else:
        assert graph.triggers()


@FAST
@given(st.text(max_size=500), st.one_of(st.none(), st.text(max_size=50)))
def test_failure_signatures(error: str, step: str | None) -> None:
    sig = signature_of(error, step)
    assert len(sig.digest) == 32 and sig == signature_of(error, step)


@FAST
@given(json_values, st.dictionaries(st.sampled_from(["trigger", "nodes", "item"]), json_values, max_size=3))
def test_templates_render_anything(value: object, context: dict) -> None:  # type: ignore[type-arg]
    render(value, context)
    render("{{ trigger.a.b }} {{ nodes.x.output }} {{ item.0 }}", context)
