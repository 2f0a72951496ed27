"""Automation graphs are validated on save: every problem is reported with its node."""

from datetime import UTC, datetime

import pytest

from cognitest.infra.alerting.rules import fires, in_quiet_hours, project_rules
from cognitest.infra.automations.definitions import validate
from cognitest.infra.automations.matching import matching_triggers
from cognitest.infra.automations.templates import TEMPLATES, MissingParameter, instantiate
from cognitest.infra.integrations.signing import sign, verify
from cognitest.schemas.automation.execution import Definition
from cognitest.schemas.automation.graph import GraphInvalid
from cognitest.schemas.automation.templates import compare, references, render


def graph(*nodes, edges=()):  # type: ignore[no-untyped-def]
    return {"nodes": [{"id": i, "type": t, "config": c} for i, t, c in nodes],
            "edges": [{"source": s, "target": t, **({"label": lbl} if lbl else {})} for s, t, lbl in edges]}


def problems(raw) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(GraphInvalid) as caught:
        validate(raw)
    return [f"{p.node}: {p.message}" for p in caught.value.problems]


START = ("start", "trigger.manual", {})


def test_a_valid_graph_passes() -> None:
    g = validate(graph(START, ("check", "condition", {"left": "{{ trigger.n }}", "op": ">", "right": 1}),
                       ("tell", "slack", {"text": "n is {{ trigger.n }}, {{ nodes.check.output.result }}"}),
                       edges=[("start", "check", None), ("check", "tell", "true")]))
    assert [n.id for n in g.nodes] == ["start", "check", "tell"]


def test_every_kind_of_problem_is_named() -> None:
    assert any("unknown node type 'sleep'" in p for p in problems(graph(START, ("x", "sleep", {}), edges=[("start", "x", None)])))
    assert any("Field required" in p for p in problems(graph(START, ("x", "slack", {}), edges=[("start", "x", None)])))
    assert any("does not exist" in p for p in problems(graph(START, edges=[("start", "ghost", None)])))
    assert problems(graph(("x", "slack", {"text": "hi"}))) == ["None: an automation needs at least one trigger node"]
    assert any("not reachable" in p for p in problems(graph(START, ("x", "slack", {"text": "hi"}))))
    cyclic = graph(START, ("a", "delay", {"seconds": 1}), ("b", "delay", {"seconds": 1}),
                   edges=[("start", "a", None), ("a", "b", None), ("b", "a", None)])
    assert any("cycle a -> b -> a" in p for p in problems(cyclic))
    assert any("edge label 'maybe'" in p for p in problems(graph(START, ("c", "condition", {}), ("x", "slack", {"text": "t"}),
                                                               edges=[("start", "c", None), ("c", "x", "maybe")])))
    assert any("does not always run before" in p for p in problems(graph(
        START, ("c", "condition", {}), ("a", "slack", {"text": "a"}), ("b", "slack", {"text": "{{ nodes.a.output.status_code }}"}),
        edges=[("start", "c", None), ("c", "a", "true"), ("c", "b", "false")])))
    assert any("only inside a for_each" in p for p in problems(graph(START, ("x", "slack", {"text": "{{ item.name }}"}),
                                                                     edges=[("start", "x", None)])))
    assert any("unknown name 'secrets'" in p for p in problems(graph(START, ("x", "slack", {"text": "{{ secrets.k }}"}),
                                                                     edges=[("start", "x", None)])))
    assert any("cron" in p for p in problems(graph(("s", "trigger.schedule", {"cron": "every day"}))))
    assert any("exactly one of cron" in p for p in problems(graph(("s", "trigger.schedule", {}))))
    assert any("time zone" in p for p in problems(graph(("s", "trigger.schedule", {"cron": "0 2 * * *", "timezone": "Mars/Base"}))))
    assert any("incoming" in p for p in problems(graph(START, ("t2", "trigger.manual", {}), edges=[("start", "t2", None)])))


def test_templates_instantiate_valid_graphs_and_need_their_parameters() -> None:
    for name in TEMPLATES:
        assert validate(instantiate(name, {"suite_id": "00000000-0000-0000-0000-000000000001",
                                           "owner": "lead@example.com"})).triggers()
    with pytest.raises(MissingParameter, match="suite_id"):
        instantiate("nightly-regression", {})
    with pytest.raises(KeyError):
        instantiate("nope", {})


def test_rendering_and_conditions() -> None:
    context = {"trigger": {"n": 3, "items": [1, 2]}, "nodes": {"run": {"output": {"totals": {"failed": 2}}}}}
    assert render("{{ trigger.items }}", context) == [1, 2]  # a whole template keeps its type
    assert render("failed: {{ nodes.run.output.totals.failed }}, missing: [{{ trigger.nope }}]", context) == "failed: 2, missing: []"
    assert render({"a": ["{{ trigger.items.1 }}"]}, context) == {"a": [2]}
    assert references({"x": "{{ a.b }} {{ c }}", "y": ["{{ d.e }}"]}) == ["a.b", "c", "d.e"]
    assert compare("2", ">", 1) and not compare("abc", ">", 1) and compare(None, "falsy", None)
    assert compare([1, 2], "contains", 2) and compare("b", "in", ["a", "b"]) and compare("x", "!=", "y")


def test_event_triggers_match_type_fields_and_severity() -> None:
    d = Definition(workflow_id="00000000-0000-0000-0000-000000000001", name="n", version=1, enabled=True, graph=graph(
        ("on_fail", "trigger.event", {"event_type": "run.*", "where": {"suite_id": "s1"}}),
        ("on_issue", "trigger.event", {"event_type": "issue.detected", "min_severity": "high"})))
    assert [n for _, n in matching_triggers([d], "run.failed", {"suite_id": "s1"})] == ["on_fail"]
    assert matching_triggers([d], "run.failed", {"suite_id": "s2"}) == []
    assert [n for _, n in matching_triggers([d], "issue.detected", {"severity": "critical"})] == ["on_issue"]
    assert matching_triggers([d], "issue.detected", {"severity": "medium"}) == []
    assert matching_triggers([d.model_copy(update={"enabled": False})], "run.failed", {"suite_id": "s1"}) == []


def test_webhook_signatures() -> None:
    body = b'{"ref": "main"}'
    header = sign("s3cret-s3cret-s3cret", body)
    assert verify("s3cret-s3cret-s3cret", body, header)
    assert not verify("s3cret-s3cret-s3cret", body + b" ", header)
    assert not verify("s3cret-s3cret-s3cret", body, None)
    assert not verify("s3cret-s3cret-s3cret", body, "sha1=abc")


def test_notification_rules_and_quiet_hours() -> None:
    rules, quiet = project_rules({"notifications": {
        "rules": [{"channel": "slack", "events": ["run.failed"]},
                  {"channel": "email", "target": "a@x", "events": ["issue.*"], "min_severity": "high"},
                  {"channel": "webhook", "target": "http://h", "enabled": False}],
        "quiet_hours": {"start": "22:00", "end": "07:00", "timezone": "Europe/Berlin"}}})
    assert len(rules) == 2 and quiet is not None
    assert fires(rules[0], "run.failed", {}) and not fires(rules[0], "run.completed", {})
    assert fires(rules[1], "issue.detected", {"severity": "critical"}) and not fires(rules[1], "issue.detected", {"severity": "low"})
    night = datetime(2026, 1, 10, 23, 30, tzinfo=UTC)  # 00:30 in Berlin
    noon = datetime(2026, 1, 10, 11, 0, tzinfo=UTC)
    assert in_quiet_hours(quiet, night, critical=False) and not in_quiet_hours(quiet, noon, critical=False)
    assert not in_quiet_hours(quiet, night, critical=True)
    assert project_rules({"notifications": {"rules": [{"channel": "pigeon"}]}}) == ([], None)


def test_alert_messages_are_useful_at_a_glance() -> None:
    from cognitest.infra.alerting.messages import compose

    cases = [{"title": f"case {i}", "error": f"boom {i}"} for i in range(12)]
    subject, text = compose("run.failed", {"run_id": "r1", "totals": {"total": 14, "passed": 2, "failed": 12}},
                            "Shop", "http://cog", "p1", cases, "nightly")
    assert subject == "[Shop] Run nightly failed"
    assert "2 passed, 12 failed, 0 errors of 14" in text and "• case 0: boom 0" in text and "… and 2 more" in text
    assert text.endswith("Run: http://cog/ui/projects/p1/runs/r1")
    subject, text = compose("issue.detected", {"issue_id": "i1", "severity": "high", "title": "Checkout down",
                                               "remediation_suggestions": ["Check the gateway"]}, "Shop", "http://cog", "p1")
    assert subject == "[Shop] New high issue: Checkout down" and "Suggestion: Check the gateway" in text
    assert "http://cog/ui/projects/p1/issues/i1" in text
