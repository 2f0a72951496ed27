"""The starter automations. Each template turns a few parameters into a graph that passes the
same validation as any saved graph (a unit test checks all of them)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    description: str
    params: dict[str, str] = field(default_factory=dict)  # name -> what it is
    build: Callable[[dict[str, str]], dict[str, Any]] = lambda p: {}


def _nightly(p: dict[str, str]) -> dict[str, Any]:
    environment = {"base_url": p["base_url"]} if p.get("base_url") else {}
    return {
        "nodes": [
            {"id": "nightly", "type": "trigger.schedule", "config": {"cron": p.get("cron", "0 2 * * *"), "timezone": p.get("timezone", "UTC")}},
            {"id": "manual", "type": "trigger.manual"},
            {"id": "run", "type": "run_suite", "config": {"suite_id": p["suite_id"], "environment": environment}},
            {"id": "failed", "type": "condition", "config": {"left": "{{ nodes.run.output.passed }}", "op": "falsy"}},
            {"id": "notify", "type": "slack", "config": {"text": (
                "Regression run {{ nodes.run.output.name }} failed: {{ nodes.run.output.totals.failed }} of "
                "{{ nodes.run.output.totals.total }} cases. {{ nodes.run.output.url }}\n{{ nodes.run.output.failure_lines }}")}},
            {"id": "each_new", "type": "for_each", "config": {"items": "{{ nodes.run.output.new_failures }}"}},
            {"id": "ticket", "type": "jira", "config": {
                "summary": "[regression] {{ item.title }} fails",
                "description": "Case {{ item.title }} failed in run {{ nodes.run.output.name }}.\n\n{{ item.error }}\n\n{{ nodes.run.output.url }}",
                "labels": ["cognitest", "regression"]}},
        ],
        "edges": [
            {"source": "nightly", "target": "run"}, {"source": "manual", "target": "run"},
            {"source": "run", "target": "failed"},
            {"source": "failed", "target": "notify", "label": "true"},
            {"source": "notify", "target": "each_new"},
            {"source": "each_new", "target": "ticket", "label": "each"},
        ],
    }


def _approval(p: dict[str, str]) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "uploaded", "type": "trigger.event", "config": {"event_type": "requirement.parsed"}},
            {"id": "generate", "type": "generate_plan", "config": {"document_id": "{{ trigger.data.document_id }}"}},
            {"id": "review", "type": "approval", "config": {"prompt": (
                "A plan with {{ nodes.generate.output.cases }} cases was generated from {{ trigger.data.document_id }}. "
                "Approve it?")}},
            {"id": "approved", "type": "publish_event", "config": {"type": "plan.updated", "data": {
                "plan_id": "{{ nodes.generate.output.plan_id }}", "changes": {"tags": ["approved"]}}}},
            {"id": "rejected", "type": "slack", "config": {"text": "Generated plan {{ nodes.generate.output.plan_id }} was rejected: {{ nodes.review.output.comment }}"}},
        ],
        "edges": [
            {"source": "uploaded", "target": "generate"}, {"source": "generate", "target": "review"},
            {"source": "review", "target": "approved", "label": "approved"},
            {"source": "review", "target": "rejected", "label": "rejected"},
        ],
    }


def _ci(p: dict[str, str]) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "imported", "type": "trigger.event", "config": {"event_type": "results.ingested", "where": {"last_batch": True}}},
            {"id": "any_failed", "type": "condition", "config": {"left": "{{ trigger.data.totals.failed }}", "op": ">", "right": 0}},
            {"id": "settle", "type": "delay", "config": {"seconds": int(p.get("settle_seconds", "10"))}},
            {"id": "notify", "type": "slack", "config": {"text": (
                "CI results {{ trigger.data.run_name }} ({{ trigger.data.branch }} @ {{ trigger.data.commit }}): "
                "{{ trigger.data.totals.failed }} failed of {{ trigger.data.totals.total }}; failures are triaged into issues.")}},
        ],
        "edges": [
            {"source": "imported", "target": "any_failed"},
            {"source": "any_failed", "target": "settle", "label": "true"},
            {"source": "settle", "target": "notify"},
        ],
    }


def _verify(p: dict[str, str]) -> dict[str, Any]:
    environment = {"base_url": p["base_url"]} if p.get("base_url") else {}
    return {
        "nodes": [
            {"id": "resolved", "type": "trigger.event", "config": {"event_type": "issue.updated",
                                                                   "where": {"changes.status": "resolved"}}},
            {"id": "rerun", "type": "run_suite", "config": {"issue_id": "{{ trigger.data.issue_id }}", "environment": environment}},
            {"id": "fixed", "type": "condition", "config": {"left": "{{ nodes.rerun.output.passed }}", "op": "truthy"}},
            {"id": "reopen", "type": "publish_event", "config": {"type": "issue.updated", "data": {
                "issue_id": "{{ trigger.data.issue_id }}", "changes": {"status": "open"}}}},
            {"id": "tell", "type": "slack", "config": {"text": (
                "Issue {{ trigger.data.issue_id }} was resolved but its case still fails: reopened. {{ nodes.rerun.output.url }}")}},
        ],
        "edges": [
            {"source": "resolved", "target": "rerun"}, {"source": "rerun", "target": "fixed"},
            {"source": "fixed", "target": "reopen", "label": "false"}, {"source": "reopen", "target": "tell"},
        ],
    }


def _issue_ticket(p: dict[str, str]) -> dict[str, Any]:
    where = {"severity": p["severity"]} if p.get("severity") else {}
    return {
        "nodes": [
            {"id": "detected", "type": "trigger.event", "config": {"event_type": "issue.detected", "where": where}},
            {"id": "ticket", "type": "jira", "config": {
                "issue_id": "{{ trigger.data.issue_id }}", "summary": "{{ trigger.data.title }}",
                "description": "{{ trigger.data.description }}\n\nEnvironment: {{ trigger.data.environment }}\n"
                               "Cognitest: {{ project.url }}/issues/{{ trigger.data.issue_id }}",
                "labels": ["cognitest"]}},
            {"id": "alert", "type": "slack", "config": {"text": (
                "New {{ trigger.data.severity }} issue {{ trigger.data.title }}, filed as {{ nodes.ticket.output.key }}: "
                "{{ project.url }}/issues/{{ trigger.data.issue_id }}")}},
        ],
        "edges": [{"source": "detected", "target": "ticket"}, {"source": "ticket", "target": "alert"}],
    }


def _triage_owner(p: dict[str, str]) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "detected", "type": "trigger.event", "config": {"event_type": "issue.detected"}},
            {"id": "assign", "type": "publish_event", "config": {"type": "issue.updated", "data": {
                "issue_id": "{{ trigger.data.issue_id }}", "changes": {"assigned_to": p["owner"]}}}},
            {"id": "tell", "type": "email", "config": {
                "to": [p["owner"]], "subject": "[Cognitest] Triage: {{ trigger.data.title }}",
                "body": "A new {{ trigger.data.severity }} issue is yours to triage:\n\n{{ trigger.data.description }}\n\n"
                        "{{ project.url }}/issues/{{ trigger.data.issue_id }}"}},
        ],
        "edges": [{"source": "detected", "target": "assign"}, {"source": "assign", "target": "tell"}],
    }


TEMPLATES = {t.name: t for t in (
    Template("nightly-regression", "Nightly regression → Slack on failure → JIRA for new failures",
             "Runs a suite every night (and on demand); when it fails, posts the failed cases to Slack and opens "
             "one JIRA issue per case that did not fail in the previous run.",
             {"suite_id": "the suite to run (required)", "base_url": "the application's URL", "cron": "default 0 2 * * *",
              "timezone": "default UTC"}, _nightly),
    Template("requirement-approval", "On requirement upload → generate plan → ask for approval",
             "When a requirement document is parsed, generates a plan from it and waits for a person to approve it "
             "(tags the plan 'approved') or reject it (tells Slack why).", {}, _approval),
    Template("ci-triage", "On CI results → triage → notify",
             "When imported CI results contain failures, waits for triage to file them as issues, then tells Slack.",
             {"settle_seconds": "seconds to let triage finish (default 10)"}, _ci),
    Template("verify-fix", "On issue resolved → re-run its case → reopen if it still fails",
             "When an issue is marked resolved, runs the test case it is about; if the case still fails, reopens "
             "the issue and tells Slack.", {"base_url": "the application's URL"}, _verify),
    Template("failed-run-ticket", "Failed run → a ticket per new issue + an alert",
             "When triage opens an issue from a failed run or imported CI results, files one JIRA ticket for it "
             "(the same ticket issue sync would file: never two for one issue) and tells Slack with the ticket's key.",
             {"severity": "only issues of this severity (critical, high, medium, low; default: all)"}, _issue_ticket),
    Template("triage-owner", "Issue detected → assign the triage owner → email them",
             "When triage opens an issue, assigns it to the triage owner and emails them what failed and where.",
             {"owner": "the triage owner's email address (required)"}, _triage_owner),
)}


class MissingParameter(ValueError):
    pass


def instantiate(name: str, params: dict[str, str]) -> dict[str, Any]:
    template = TEMPLATES.get(name)
    if template is None:
        raise KeyError(f"unknown template {name!r}; known: {', '.join(TEMPLATES)}")
    missing = [p for p, what in template.params.items() if "required" in what and not params.get(p)]
    if missing:
        raise MissingParameter(f"template {name!r} needs: {', '.join(missing)}")
    return template.build(params)
