"""Feature files (gherkin-official's parser) to user stories: one per scenario, keyed by its id tag
(`@CHK-101`), with the Background's steps (the feature's and its Rule's) before its own, `And` and
`But` kept in place, and a Scenario Outline's Examples expanded into one scenario per row."""

import re
from typing import Any

from cognitest.infra.requirements.document import Converted, DocumentError, Line, Story
from cognitest.infra.requirements.sniff import decode_text

_ID_TAG = re.compile(r"^[A-Za-z]+[-_.]?\d")
_PRIORITIES = ("critical", "high", "medium", "low")


def _steps(node: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["keyword"].strip(), s["text"]) for s in node.get("steps", [])]


def _expanded(scenario: dict[str, Any], steps: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """The scenario's steps, once per Examples row with `<name>` replaced by the row's value."""
    scenarios = []
    for examples in scenario.get("examples", []):
        names = [c["value"] for c in (examples.get("tableHeader") or {}).get("cells", [])]
        for row in examples.get("tableBody", []):
            values = dict(zip(names, (c["value"] for c in row.get("cells", [])), strict=False))
            scenarios.append([(k, re.sub(r"<([^<>]+)>", lambda m, v=values: v.get(m.group(1), m.group(0)), t))
                              for k, t in steps])
    return scenarios or [steps]


def _line(node: dict[str, Any]) -> int:
    return int((node.get("location") or {}).get("line") or 0)


def _last_line(scenario: dict[str, Any]) -> int:
    """The scenario's last line: its last Examples row, else its last step."""
    lines = [_line(scenario)] + [_line(s) for s in scenario.get("steps", [])]
    for examples in scenario.get("examples", []):
        lines += [_line(row) for row in examples.get("tableBody", [])]
    return max(lines)


def _stories(children: list[dict[str, Any]], background: list[tuple[str, str]], section: str | None,
             inherited_tags: list[str]) -> list[Story]:
    out: list[Story] = []
    for child in children:
        if "background" in child:
            background = background + _steps(child["background"])
        if rule := child.get("rule"):
            name = rule.get("name") or "Rule"
            tags = inherited_tags + [t["name"].lstrip("@") for t in rule.get("tags", [])]
            out += _stories(rule.get("children", []), background, f"{section} / {name}" if section else name, tags)
        scenario = child.get("scenario")
        if not scenario:
            continue
        tags = [t["name"].lstrip("@") for t in scenario.get("tags", [])]
        key = next((t for t in tags if _ID_TAG.match(t)), None)
        out.append(Story(key=key, title=scenario.get("name") or "Scenario",
                         description=(scenario.get("description") or "").strip(),
                         criteria=_expanded(scenario, background + _steps(scenario)), section=section,
                         priority=next((t for t in tags + inherited_tags if t.lower() in _PRIORITIES), None),
                         start=_line(scenario), end=_last_line(scenario)))
    return out


def from_feature(data: bytes) -> Converted:
    from gherkin.parser import Parser
    from gherkin.token_scanner import TokenScanner

    try:
        document = Parser().parse(TokenScanner(decode_text(data)))
    except Exception as exc:  # noqa: BLE001  the parser raises CompositeParserException with line numbers
        raise DocumentError(f"the feature file is not valid Gherkin: {exc}") from None
    feature = document.get("feature") or {}
    out = Converted(title=feature.get("name"))
    out.stories = _stories(feature.get("children", []), [], feature.get("name"),
                           [t["name"].lstrip("@") for t in feature.get("tags", [])])
    if feature.get("description"):
        first = _line(feature) + 1  # the description follows the Feature: line
        out.lines.append(Line(" ".join(feature["description"].split()), start=first,
                              end=first + len(feature["description"].strip().splitlines()) - 1))
    return out
