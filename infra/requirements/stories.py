"""Records to user stories: JSON and CSV exports of trackers (Jira's CSV and REST search results,
Azure DevOps work items, flat story lists) and tables whose header names requirement columns
(Confluence's "Requirements" table: #, Title, User Story, Importance, Notes).

Only what a tracker calls a requirement is one: stories, features, requirements. Bugs, tasks,
sub-tasks, epics, spikes and tests in the same export are skipped. Acceptance criteria come from
their own column or from an "Acceptance criteria" part of the description (Jira wiki `h3.`,
`*bold*` or Markdown headings, with `*`, `-`, `#` or numbered items under it)."""

import csv
import io
import json
import re
from typing import Any

from cognitest.infra.requirements.document import DocumentError, Story
from cognitest.infra.requirements.sniff import decode_text


_FIELDS = {
    "key": ("key", "id", "issue key", "story id", "ref", "reference", "#", "req id", "requirement id", "uid"),
    "title": ("title", "summary", "name", "story", "system.title"),
    "description": ("description", "details", "body", "user story", "requirement", "statement", "system.description"),
    "criteria": ("acceptance criteria", "acceptance_criteria", "acceptancecriteria", "criteria", "ac",
                 "microsoft.vsts.common.acceptancecriteria"),
    "priority": ("priority", "importance", "moscow", "microsoft.vsts.common.priority"),
    "section": ("epic", "epic link", "feature", "component", "components", "section", "parent"),
    "type": ("issue type", "issuetype", "type", "work item type", "system.workitemtype"),
}
# what trackers export beside requirements
_NOT_REQUIREMENT_TYPES = {"bug", "defect", "task", "sub-task", "subtask", "technical task", "epic", "initiative", "spike",
                          "chore", "incident", "problem", "test", "test case", "test plan", "test set", "impediment"}
_CRITERIA_HEAD = re.compile(r"^\s*(?:h\d\.\s*|#{1,6}\s*|\*\*?|_)?\s*acceptance criteria\s*(?:\*\*?|_)?\s*:?\s*(?:\*\*?)?\s*$",
                            re.IGNORECASE)
_OTHER_HEAD = re.compile(r"^\s*(?:h\d\.\s+|#{1,6}\s+|\*[^*]+\*\s*$|\*\*[^*]+\*\*\s*$)")
_LIST_MARK = re.compile(r"^\s*(?:[-*•#]+|\d+[.)])\s+")
_TAGS = re.compile(r"<[^>]+>")


def _header(name: Any) -> str:
    text = str(name).strip().lower()
    custom = re.match(r"^custom field \((.+)\)$", text)  # Jira CSV: "Custom field (Acceptance Criteria)"
    return custom.group(1).strip() if custom else text


def _value(value: Any) -> Any:
    if isinstance(value, dict):  # Jira REST: {"name": "High"}, {"value": ...}
        return value.get("name") or value.get("value") or value.get("displayName")
    if isinstance(value, str) and "<" in value and _TAGS.search(value):  # Azure DevOps keeps HTML in fields
        value = re.sub(r"<\s*(br|/p|/div|/li)\s*/?>", "\n", value, flags=re.IGNORECASE)
        value = re.sub(r"<\s*li[^>]*>", "\n- ", value, flags=re.IGNORECASE)
        value = _TAGS.sub("", value)
    return value


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    merged = dict(record)
    if isinstance(record.get("fields"), dict):  # Jira REST and Azure DevOps nest the fields
        merged.update(record["fields"])
    return {_header(k): _value(v) for k, v in merged.items()}


def _field(record: dict[str, Any], name: str) -> Any:
    for alias in _FIELDS[name]:
        if alias in record and record[alias] not in (None, ""):
            return record[alias]
    return None


def _criteria(value: Any) -> list[list[tuple[str, str]]]:
    if not value:
        return []
    items = value if isinstance(value, list) else re.split(r"\n|(?<=[.;])\s+(?=(?:Given|When|Then)\b)", str(value))
    scenarios: list[list[tuple[str, str]]] = []
    for item in items:
        text = str(item.get("text") if isinstance(item, dict) else item)
        text = _LIST_MARK.sub("", text).strip(" -*•\t\r")
        if not text:
            continue
        match = re.match(r"^(Given|When|Then|And|But)\s+(.*)$", text, re.IGNORECASE)
        if match:
            keyword = match.group(1).capitalize()
            if keyword == "Given" or not scenarios:
                scenarios.append([])
            scenarios[-1].append((keyword, match.group(2)))
        else:
            scenarios.append([("Then", text)])
    return scenarios


def _split_description(text: str) -> tuple[str, str]:
    """(the description without its acceptance-criteria part, the criteria's lines)."""
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        if _CRITERIA_HEAD.match(line):
            criteria: list[str] = []
            rest = lines[:i]
            for j, after in enumerate(lines[i + 1:], start=i + 1):
                if _OTHER_HEAD.match(after) and not _LIST_MARK.match(after):
                    rest += lines[j:]  # the next part (Notes, Out of scope) stays description
                    break
                criteria.append(after)
            return "\n".join(rest).strip(), "\n".join(criteria)
    return text.strip(), ""


def story(record: dict[str, Any], section: str | None = None) -> Story | None:
    record = _flat(record)
    kind = str(_field(record, "type") or "").strip().lower()
    if kind in _NOT_REQUIREMENT_TYPES:
        return None
    title = _field(record, "title")
    description = str(_field(record, "description") or "")
    description, embedded = _split_description(description)
    if not title and not description:
        return None
    key = _field(record, "key")
    return Story(key=str(key).strip() if key not in (None, "") else None, title=str(title or description)[:500],
                 description=" ".join(description.split()), criteria=_criteria(_field(record, "criteria") or embedded),
                 priority=str(_field(record, "priority") or "") or None,
                 section=str(_field(record, "section") or "") or section)


def is_records_header(cells: list[str]) -> bool:
    """Whether a table's first row names requirement columns: an id and a title or statement."""
    names = {_header(c) for c in cells}
    has = {field for field, aliases in _FIELDS.items() if names & set(aliases)}
    return "key" in has and bool(has & {"title", "description"})


def table_stories(header: list[str], rows: list[list[str]], section: str | None,
                  numbers: list[int] | None = None) -> list[Story]:
    found = []
    for row, number in zip(rows, numbers or [0] * len(rows), strict=True):
        if any(c.strip() for c in row) and (s := story(dict(zip(header, row, strict=False)), section)) is not None:
            s.start = s.end = number
            found.append(s)
    return found


def from_json(data: bytes) -> list[Story]:
    try:
        loaded = json.loads(decode_text(data))
    except ValueError as exc:
        raise DocumentError(f"the JSON is malformed: {exc}") from None
    if isinstance(loaded, dict):
        loaded = next((v for k, v in loaded.items() if isinstance(v, list) and k.lower() in
                       ("stories", "user_stories", "issues", "items", "requirements", "data", "value", "workitems")),
                      [loaded])
    if not isinstance(loaded, list):
        raise DocumentError("the JSON holds no list of user stories")
    records = [r for r in loaded if isinstance(r, dict)]
    stories = [s for s in (story(r) for r in records) if s is not None]
    if not stories:
        raise DocumentError("the JSON holds no user stories (objects with a title or summary)")
    return stories


def from_csv(data: bytes) -> list[Story]:
    text = decode_text(data)
    try:
        reader = csv.DictReader(io.StringIO(text))
        rows, spans = [], []
        for row in reader:  # a quoted cell may hold line breaks: a row spans the lines the reader consumed
            start = spans[-1][1] + 1 if spans else 2
            rows.append(row)
            spans.append((start, reader.line_num))
    except csv.Error as exc:
        raise DocumentError(f"the CSV is malformed: {exc}") from None
    stories = []
    for row, (start, end) in zip(rows, spans, strict=True):
        if (s := story(row)) is not None:
            s.start, s.end = start, end
            stories.append(s)
    if not stories:
        raise DocumentError("the CSV holds no user stories (a title or summary column)")
    return stories
