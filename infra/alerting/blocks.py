"""Slack Block Kit for alerts: a header, what happened, the environment as fields, each failed
case with its failing step, expected against actual, and a screenshot link, then a button to the
run or issue page. The plain `text` stays as the notification fallback."""

from typing import Any

_ENV = (("base_url", "Base URL"), ("browser", "Browser"), ("device", "Device"), ("commit", "Commit"),
        ("branch", "Branch"), ("run_name", "Run"))


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}


def _fields(environment: dict[str, Any]) -> list[dict[str, Any]]:
    fields = [{"type": "mrkdwn", "text": f"*{label}*\n{environment[key]}"[:2000]}
              for key, label in _ENV if environment.get(key)]
    return [{"type": "section", "fields": fields[:10]}] if fields else []


def _case(case: dict[str, Any]) -> dict[str, Any]:
    lines = [f"*{case.get('title')}*"]
    if case.get("failing_step"):
        lines.append(f"Failing step: `{case['failing_step']}`")
    if case.get("expected_actual"):
        expected, actual = case["expected_actual"]
        lines.append(f"Expected `{expected}`, got `{actual}`")
    elif case.get("error"):
        lines.append(str(case["error"]))
    lines += [f"<{a['url']}|{a['kind'].capitalize()}>" for a in case.get("artifacts") or [] if a.get("url")][:2]
    return _section("\n".join(lines))


def blocks(subject: str, summary: str, link: str, link_label: str, environment: dict[str, Any] | None = None,
           cases: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": subject[:150]}},
                                 _section(summary), *_fields(environment or {})]
    out += [_case(c) for c in (cases or [])[:5]]
    if cases and len(cases) > 5:
        out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"… and {len(cases) - 5} more"}]})
    out.append({"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": link_label},
                                                 "url": link}]})
    return out
