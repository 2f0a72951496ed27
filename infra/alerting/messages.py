"""Messages people can act on at a glance: project, what happened, the failed cases with their
first error line, and links back to the run or issue."""

from typing import Any

from cognitest.infra.automations.outcomes import first_line

ICONS = {"run.failed": ":x:", "run.completed": ":white_check_mark:", "issue.detected": ":beetle:",
         "workflow.completed": ":gear:", "results.ingested": ":inbox_tray:"}


def compose(event_type: str, data: dict[str, Any], project: str, base_url: str, project_id: str,
            failed_cases: list[dict[str, Any]] | None = None, run_name: str | None = None,
            facts: dict[str, Any] | None = None) -> tuple[str, str]:
    """(subject, text) for an event; `facts`: the issue as the read model knows it (issue events)."""
    icon = ICONS.get(event_type, ":bell:")
    api = f"{base_url}/ui/projects/{project_id}"  # the pages a person opens, not the JSON API
    if event_type in ("run.failed", "run.completed", "run.cancelled"):
        t = data.get("totals") or {}
        name = run_name or data.get("run_id")
        verdict = {"run.failed": "failed", "run.completed": "passed", "run.cancelled": "was cancelled"}[event_type]
        subject = f"[{project}] Run {name} {verdict}"
        lines = [f"{icon} *{subject}*: {t.get('passed', 0)} passed, {t.get('failed', 0)} failed, "
                 f"{t.get('errors', 0)} errors of {t.get('total', 0)}."]
        if data.get("reason"):
            lines.append(f"Reason: {first_line(data['reason'])}")
        for case in (failed_cases or [])[:10]:
            lines.append(f"• {case['title']}: {case['error']}")
        if failed_cases and len(failed_cases) > 10:
            lines.append(f"… and {len(failed_cases) - 10} more")
        lines.append(f"Run: {api}/runs/{data.get('run_id')}")
        return subject, "\n".join(lines)
    if event_type == "issue.detected":
        subject = f"[{project}] New {data.get('severity', '')} issue: {data.get('title')}"
        suggestions = data.get("remediation_suggestions") or []
        return subject, _issue_text(f"{icon} *{subject}*", suggestions and f"Suggestion: {suggestions[0]}", api, data)
    if event_type == "issue.occurred":
        subject = f"[{project}] Still failing: {data.get('case_key') or (facts or {}).get('title') or 'a case'}"
        head = f":repeat: *{subject}*"
        if facts and facts.get("runs"):
            head += f" — since run {facts.get('first_run')} ({facts['since']}), {facts['runs']} run(s)"
        elif data.get("run_id"):
            head += f" in run {data['run_id']}"
        return subject, _issue_text(head, data.get("error") and f"Error: {first_line(data['error'])}", api, data)
    if event_type == "issue.resolved":
        title = (facts or {}).get("title")
        subject = f"[{project}] Passing again: {title}" if title else f"[{project}] Issue resolved"
        text = f":white_check_mark: *{subject}*"
        if facts and facts.get("runs"):
            text += f" — it had failed in {facts['runs']} run(s) since {facts['since']}"
        if data.get("resolution"):
            text += f"\n{first_line(data.get('resolution'))}"
        return subject, f"{text}\nIssue: {api}/issues/{data.get('issue_id')}"
    if event_type == "workflow.completed":
        subject = f"[{project}] Automation execution {data.get('status')}"
        text = f"{icon} *{subject}*: {data.get('execution_id')}" + (f"\nError: {first_line(data.get('error'))}" if data.get("error") else "")
        return subject, text
    if event_type == "event.dead_lettered":
        subject = f"[{project}] The {data.get('consumer')} consumer dead-lettered a {data.get('event_type')} event"
        return subject, (f":warning: *{subject}*: {first_line(data.get('reason'))}\n"
                         f"Re-drive it after a fix: cognitest events dlq list, then redrive SEQ ({base_url}/api/v1/dead-letters)")
    subject = f"[{project}] {event_type}"
    return subject, f"{icon} *{subject}*"


def _issue_text(head: str, detail: str | None, api: str, data: dict[str, Any]) -> str:
    return "\n".join([head, *([detail] if detail else []), f"Issue: {api}/issues/{data.get('issue_id')}"])
