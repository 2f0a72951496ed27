"""Splitting text into atomic requirements with stable ids, kind, priority and acceptance
criteria. Deterministic: the same document always gives the same requirements and ids."""

import re
from collections.abc import Iterable

from cognitest.infra.requirements.convert import Converted, Line, Story
from cognitest.schemas.enums import Priority, RequirementKind
from cognitest.schemas.events.requirements import AtomicRequirement, GherkinStep

# A document's own identifier at the start of a line: FR-3.2, NFR-1, REQ-12, US-7, SEC_2, [AUTH-1]
_OWN_ID = re.compile(r"^\W{0,3}(?P<key>[A-Z][A-Z0-9]{0,11}(?:[-_.]\d+[A-Za-z]?)+(?:\.\d+)*)\s*[\]):.\-–—]?\s+(?P<rest>.+)$")
_MODAL = re.compile(r"\b(shall|must|should|may|will|could|needs? to|is required to|are required to|has to|have to|won'?t)\b",
                    re.IGNORECASE)
_STORY = re.compile(r"^\s*As an? .+?,?\s+I (want|need|would like|can)\b", re.IGNORECASE)
_GWT = re.compile(r"^\s*(Given|When|Then|And|But)\s+(.+)$", re.IGNORECASE)
_SCENARIO = re.compile(r"^\s*(Scenario|Example)( Outline)?:\s*(.*)$", re.IGNORECASE)
_CRITERIA_HEADING = re.compile(r"acceptance criteria|acceptance tests?", re.IGNORECASE)
_REQ_HEADING = re.compile(r"requirement|feature|user stor|capabilit|function", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
# sections that describe the document or the project, not the product: nothing in them is a requirement
_NOT_REQUIREMENTS = re.compile(
    r"\b(overview|introduction|purpose|background|motivation|context|summary|goals?|objectives?|non-goals|"
    r"success (metrics|criteria)|kpis?|metrics|risks?|mitigations?|assumptions?|dependenc(y|ies)|out of scope|"
    r"open (questions|issues)|questions|timeline|milestones?|roadmap|schedule|release plan|rollout|plan|"
    r"stakeholders?|team|owners?|approvals?|sign-?off|glossary|definitions|references|appendix|"
    r"revision history|change ?log|document history|version history|about this document|scope|not doing|"
    r"overall description|product perspective|user characteristics|operating environment|verification|"
    r"test (approach|strategy))\b", re.IGNORECASE)
# a feature heading that names its tracker key at the end: "Remove a passkey (AUTH-415)"
_TRAILING_ID = re.compile(r"^(?P<rest>.+?)\s*[\[(](?P<key>[A-Z][A-Z0-9]{0,11}(?:[-_]\d+)(?:\.\d+)*)[\])]\s*$")
_CHECKBOX = re.compile(r"^\[( |x|X)\]\s+")
_MARKUP = re.compile(r"\*\*|__|`")
# EARS: "When <trigger>, the <system> shall ...", "If ..., then ...", "While ...", "Where ..." are
# requirements, not Gherkin steps
_EARS = re.compile(r"^(when|while|if|where)\b.+,\s*(then\s+)?(the|a|an)\b.+\b(shall|must|will)\b", re.IGNORECASE)


def _clean(text: str) -> tuple[str, bool]:
    """Text without emphasis markup and its checkbox; whether it was a checkbox."""
    text = _MARKUP.sub("", text).strip()
    box = _CHECKBOX.match(text)
    return (text[box.end():].strip(), True) if box else (text, False)

_NON_FUNCTIONAL = re.compile(
    r"\b(performance|response time|latency|throughput|within \d+(\.\d+)? ?(ms|milliseconds?|seconds?|s)\b|"
    r"availab|uptime|scalab|concurrent users|load|usabilit|accessib|wcag|reliab|recover|backup|"
    r"encrypt|tls|https|audit log|maintainab|portab|browsers?\b|mobile devices?)", re.IGNORECASE)
_CONSTRAINT = re.compile(r"\b(comply|compliance|gdpr|pci|hipaa|regulat|constraint|must be (written|built|hosted|deployed)|"
                         r"only (supports?|runs?)|limited to|licen[cs]e|budget|deadline)", re.IGNORECASE)


def priority_of(text: str, explicit: str | None = None) -> Priority:
    if explicit:
        value = explicit.strip().lower()
        for p in Priority:
            if value.startswith(p.value):
                return p
        moscow = {"must": Priority.high, "should": Priority.medium, "could": Priority.low, "won": Priority.low,
                  "p0": Priority.critical, "p1": Priority.high, "p2": Priority.medium, "p3": Priority.low,
                  "highest": Priority.critical, "blocker": Priority.critical, "major": Priority.high,
                  "minor": Priority.low, "trivial": Priority.low, "lowest": Priority.low}
        for word, p in moscow.items():
            if value.startswith(word):
                return p
    lowered = text.lower()
    if re.search(r"\b(critical|safety|security-critical)\b", lowered) and re.search(r"\b(shall|must)\b", lowered):
        return Priority.critical
    if re.search(r"\b(shall|must|is required to|are required to|has to|have to|mandatory)\b", lowered):
        return Priority.high
    if re.search(r"\(m\)|\bmust have\b", lowered):
        return Priority.high
    if re.search(r"\bshould\b|\bshould have\b|\(s\)", lowered):
        return Priority.medium
    if re.search(r"\b(may|could|optional|nice to have|won'?t)\b|\(c\)|\(w\)", lowered):
        return Priority.low
    return Priority.medium


def kind_of(text: str, key: str | None = None) -> RequirementKind:
    prefix = (key or "").upper()
    if prefix.startswith(("NFR", "NF-", "PERF", "SEC")):
        return RequirementKind.non_functional
    if prefix.startswith(("CON", "CR-", "C-")):
        return RequirementKind.constraint
    if _CONSTRAINT.search(text):
        return RequirementKind.constraint
    if _NON_FUNCTIONAL.search(text):
        return RequirementKind.non_functional
    return RequirementKind.functional


def _title(text: str) -> str:
    first = _SENTENCE.split(text.strip(), maxsplit=1)[0]
    return first if len(first) <= 120 else first[:117].rstrip() + "…"


class _Builder:
    def __init__(self) -> None:
        self.items: list[AtomicRequirement] = []
        self.used: set[str] = set()
        self.counter = 0

    def key(self, own: str | None) -> str:
        if own and own not in self.used:
            self.used.add(own)
            return own
        while True:
            self.counter += 1
            candidate = f"REQ-{self.counter}"
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate

    def add(self, text: str, *, own_key: str | None, section: str | None, explicit_priority: str | None = None,
            title: str | None = None, criteria: list[list[tuple[str, str]]] | None = None,
            lines: tuple[int, int] | None = None) -> AtomicRequirement:
        text = " ".join(text.split())
        key = self.key(own_key)
        requirement = AtomicRequirement(
            key=key, title=(title or _title(text))[:500], text=text[:20_000], kind=kind_of(text, own_key),
            priority=priority_of(text, explicit_priority), section=section[:500] if section else None,
            acceptance_criteria=[[GherkinStep(keyword=k.capitalize(), text=t) for k, t in sc] for sc in (criteria or []) if sc],
            lines=lines if lines and lines[0] > 0 else None,
        )
        self.items.append(requirement)
        return requirement


def split(doc: Converted) -> list[AtomicRequirement]:
    builder = _Builder()
    for story in doc.stories:
        _add_story(builder, story)
    _split_lines(builder, doc.lines)
    return builder.items


def _add_story(builder: _Builder, story: Story) -> None:
    text = story.description if story.statement_only and story.description else (
        story.title if not story.description else f"{story.title}. {story.description}")
    builder.add(text, own_key=story.key, section=story.section, explicit_priority=story.priority,
                title=story.title, criteria=story.criteria, lines=(story.start, story.end or story.start))


class _Feature:
    """A heading that carries the document's own id ("### AUTH-413 Register a passkey"): the
    criteria under it are keyed AUTH-413.1, AUTH-413.2 ...; with nothing under it, the heading
    (and its first paragraph) is the requirement, so its key is never lost."""

    def __init__(self, key: str, title: str, level: int, section: str | None, before: int,
                 lines: tuple[int, int]) -> None:
        self.key, self.title, self.level, self.section, self.before = key, title, level, section, before
        self.lines = lines
        self.criteria = 0
        self.prose: list[str] = []

    def next_key(self) -> str:
        self.criteria += 1
        return f"{self.key}.{self.criteria}"


def _split_lines(builder: _Builder, lines: Iterable[Line]) -> None:
    section: str | None = None
    headings: list[tuple[int, bool]] = []  # (level, names requirements) of the open headings
    in_criteria = False
    last: AtomicRequirement | None = None
    scenario: list[tuple[str, str]] | None = None
    feature: _Feature | None = None
    first_heading = True

    def attach(keyword: str, text: str, end: int) -> None:
        nonlocal scenario
        if last is None:
            return
        if keyword.lower() == "given" or scenario is None:
            scenario = []
            last.acceptance_criteria.append([])
        last.acceptance_criteria[-1].append(GherkinStep(keyword=keyword.capitalize(), text=text.strip()))
        scenario.append((keyword, text))
        if last.lines and end > last.lines[1]:
            last.lines = (last.lines[0], end)  # its criteria are part of it

    def close_feature(level: int) -> None:
        nonlocal feature
        if feature is not None and level <= feature.level:
            if len(builder.items) == feature.before:
                text = feature.title + (". " + " ".join(feature.prose) if feature.prose else "")
                builder.add(text, own_key=feature.key, section=feature.section, title=feature.title, lines=feature.lines)
            feature = None

    skipping: int | None = None  # the level of a heading whose section is not about requirements
    for line in lines:
        text, checkbox = _clean(line.text)
        where = (line.start, line.end or line.start)
        if not text:
            continue
        if line.kind == "heading":
            level = line.level or 1
            if skipping is not None and level > skipping:
                continue
            skipping = None
            close_feature(level)
            headings = [h for h in headings if h[0] < level]
            title, first_heading = first_heading and level == 1, False
            if _CRITERIA_HEADING.search(text):
                in_criteria = True
                continue
            if _NOT_REQUIREMENTS.search(re.sub(r"^[\d.]+\s*", "", text)) and not _REQ_HEADING.search(text) \
                    and not _OWN_ID.match(text):
                skipping, section, in_criteria, scenario = level, text, False, None
                continue
            own = _OWN_ID.match(text)
            if own and (_MODAL.search(own.group("rest")) or _STORY.match(own.group("rest"))):
                last = builder.add(own.group("rest"), own_key=own.group("key"), section=section, lines=where)
                scenario, in_criteria = None, False
                continue
            trailing = None if own else _TRAILING_ID.match(text)
            section = own.group("rest") if own else trailing.group("rest") if trailing else text
            if own or trailing:
                found = own or trailing
                assert found is not None
                feature = _Feature(found.group("key"), section, level, section, len(builder.items), where)
            headings.append((level, not title and bool(_REQ_HEADING.search(text))))
            in_criteria = False
            scenario = None
            continue
        if skipping is not None or line.kind == "note":
            continue
        in_requirements_section = any(names for _, names in headings)
        if _SCENARIO.match(text):
            scenario = None
            continue
        if (gwt := _GWT.match(text)) and not _EARS.match(text):
            attach(gwt.group(1), gwt.group(2), line.end)
            continue
        if text.lower().rstrip(": ") in ("acceptance criteria", "acceptance criteria are"):
            in_criteria = True
            continue
        if in_criteria and line.kind == "item" and len(text.split()) < 3:
            in_criteria = False  # too short for a criterion: a heading that lost its markup (a PDF's "3. Security")
            continue
        if in_criteria and line.kind == "item" and not _OWN_ID.match(text):
            # each criterion is a requirement of its own, of its feature (the section), checked as stated
            last = builder.add(text, own_key=feature.next_key() if feature else None, section=section,
                               criteria=[[("Then", text)]], lines=where)
            scenario = None
            continue
        if checkbox:
            continue  # a plan's or goal's checklist item, not a requirement
        if feature is not None and line.kind == "para" and not feature.prose:
            feature.prose.append(text)
        for sentence in _sentences(text, line.kind):
            own = _OWN_ID.match(sentence)
            body = own.group("rest") if own else sentence
            explicit = _explicit_priority(body)
            stated = bool(_STORY.match(body) or _MODAL.search(body))
            if own and not stated and not in_requirements_section and not body.rstrip().endswith((".", "!", ";")):
                continue  # "T-200 Smart Thermostat Firmware": a product name on a title page, not a requirement
            if own or stated or (in_requirements_section and line.kind == "item"):
                if len(body.split()) < 3 and not own:
                    continue
                last = builder.add(_strip_priority(body), own_key=own.group("key") if own else None, section=section,
                                   explicit_priority=explicit, lines=where)
                scenario, in_criteria = None, False
    close_feature(0)


def _sentences(text: str, kind: str) -> list[str]:
    if _OWN_ID.match(text) or kind in ("item", "row"):
        return [text.replace(" | ", " — ") if kind == "row" else text]
    return [s for s in _SENTENCE.split(text) if s.strip()]


_PRIORITY_TAG = re.compile(r"[\[(]\s*(?:priority\s*[:=]\s*)?(critical|high|medium|low|must|should|could|won'?t)\s*[\])]\s*$"
                           r"|\bpriority\s*[:=]\s*(critical|high|medium|low)\b", re.IGNORECASE)


def _explicit_priority(text: str) -> str | None:
    match = _PRIORITY_TAG.search(text)
    return (match.group(1) or match.group(2)) if match else None


def _strip_priority(text: str) -> str:
    return _PRIORITY_TAG.sub("", text).strip()
