"""Executable steps for a case, bound to the elements of the explored application (never invented).

From a requirement sentence such as 'Signing in with the email "reader@example.com" and the
password "correct horse" opens the "My loans" page': the page it is about (a path it names, else
the page whose title and element names share the most words with it), the values to fill (a quoted
value after a field's name goes into the field labelled so; a lone value into the page's only text
input), the form's submit button, and what to check (each quoted text of the outcome; a quoted
name followed by "field", "button" or "link" must be visible as that element). A sentence that
gives nothing to check, or names an element the page does not have, gets no steps: its case stays
manual rather than passing by checking nothing."""

import re
from typing import Any

from cognitest.schemas.exploration import AppMap, AppPage, PageElement

_QUOTED = re.compile(r"[\"“]([^\"”]{1,200})[\"”]")
_OUTCOME = re.compile(r"\b(shows?|lists?|opens?|displays?|returns?|is shown|are shown|is visible|are visible|has|have|"
                      r"appears?|leads? to|redirects? to)\b", re.IGNORECASE)
_ELEMENT_AFTER = re.compile(r"^\s*(field|box|input|button|link|page|tab|heading)\b", re.IGNORECASE)
_PATH = re.compile(r"(?<![\w/])(/[\w\-/]*\w|/)(?=[\s,.;:)]|$)")
_WORD = re.compile(r"[a-z]{3,}")
_INPUT_ROLES = {"textbox", "searchbox", "combobox"}
_SUBMITTING = re.compile(r"\b(sign(ing)? in|log(ging)? in|send(ing)?|submit(ting)?|search(ing)?|sav(e|ing)|"
                         r"register(ing)?|post(ing)?|enter(ing)?|apply(ing)?)\b", re.IGNORECASE)


def _stems(text: str) -> set[str]:
    return {w[:5] for w in _WORD.findall(text.lower())}


def _page_for(text: str, app: AppMap) -> AppPage | None:
    paths = [p for p in _PATH.findall(text)]
    for path in paths:
        for page in app.pages:
            if page.path.split("?")[0].rstrip("/") == path.rstrip("/") or (path == "/" and page.path in ("", "/")):
                return page
    words = _stems(_QUOTED.sub(" ", text)) - {"the", "page", "shows", "show", "with", "and", "for"}
    best, score = None, 0
    for page in app.pages:
        vocabulary = _stems(page.title + " " + " ".join(e.name for e in page.elements if e.role != "link")
                            + " " + page.path.replace("/", " "))
        found = len(words & vocabulary)
        if found > score:
            best, score = page, found
    return best


def _inputs(page: AppPage) -> list[PageElement]:
    return [e for e in page.elements if e.role in _INPUT_ROLES and (e.label or e.name or e.placeholder)]


def _target(element: PageElement) -> dict[str, Any]:
    if element.label:
        return {"label": element.label}
    if element.placeholder:
        return {"placeholder": element.placeholder}
    return {"role": element.role, "name": element.name}


def _expectation(page: AppPage, quoted: str, after: str) -> dict[str, Any] | None | bool:
    """The check for a quoted text; False when it names an element the page does not have."""
    kind = _ELEMENT_AFTER.match(after)
    if not kind:
        return {"action": "expect_text", "text": quoted}
    noun = kind.group(1).lower()
    if noun in ("page", "heading", "tab"):
        return {"action": "expect_text", "text": quoted}
    if noun == "link":
        ok = any(e.role == "link" and e.name == quoted for e in page.elements)
        return {"action": "expect_visible", "target": {"role": "link", "name": quoted}} if ok else False
    if noun == "button":
        ok = any(e.role == "button" and e.name == quoted for e in page.elements)
        return {"action": "expect_visible", "target": {"role": "button", "name": quoted}} if ok else False
    field = next((e for e in _inputs(page) if (e.label or "").lower() == quoted.lower()), None)
    return {"action": "expect_visible", "target": _target(field)} if field else False


def ground(text: str, app: AppMap) -> tuple[list[dict[str, Any]], str] | None:
    """(executable steps, the page's path) for `text`, or None when it cannot be bound."""
    page = _page_for(text, app)
    if page is None:
        return None
    outcome = _OUTCOME.search(text)
    split_at = outcome.start() if outcome else len(text)
    steps: list[dict[str, Any]] = [{"action": "goto", "url": page.path or "/"}]
    checks: list[dict[str, Any]] = []
    fills: list[tuple[PageElement, str]] = []
    loose: list[str] = []
    inputs = _inputs(page)
    for found in _QUOTED.finditer(text):
        quoted, after = found.group(1), text[found.end():]
        if _ELEMENT_AFTER.match(after) or found.start() >= split_at:
            check = _expectation(page, quoted, after)
            if check is False:
                return None  # it names an element this page does not have: nothing invented
            if isinstance(check, dict):
                checks.append(check)
            continue
        before = text[:found.start()].lower().split()[-3:]
        field = next((e for e in inputs if any(w in (e.label or e.name or "").lower() for w in before if len(w) > 2)), None)
        if field is not None:
            fills.append((field, quoted))
        else:
            loose.append(quoted)
    if loose:
        free = [e for e in inputs if e not in [f for f, _ in fills]]
        if len(free) != 1 or len(loose) != 1:
            return None  # values without a field to put them in
        fills.append((free[0], loose[0]))
    if not checks:
        return None  # nothing to check: a run of it would pass by checking nothing
    for field, value in fills:
        steps.append({"action": "fill", "target": _target(field), "value": value})
    if fills or _SUBMITTING.search(text[:split_at]):
        form = fills[0][0].form if fills else next((e.form for e in inputs if e.form is not None), None)
        buttons = [e for e in page.elements if e.role == "button" and (form is None or e.form == form)]
        if len(buttons) != 1:
            return None
        steps.append({"action": "click", "target": {"role": "button", "name": buttons[0].name}})
    return steps + checks, page.path or "/"


def known_targets(app: AppMap) -> set[tuple[str, str]]:
    """Every (kind, value) a step may target in the explored app: ('label', 'Email'), ('role:button', 'Sign in') ..."""
    found: set[tuple[str, str]] = set()
    for page in app.pages:
        for e in page.elements:
            if e.label:
                found.add(("label", e.label.lower()))
            if e.placeholder:
                found.add(("placeholder", e.placeholder.lower()))
            if e.name:
                found.add((f"role:{e.role}", e.name.lower()))
    return found


def invented(steps: list[dict[str, Any]], app: AppMap) -> list[str]:
    """The targets of `steps` the explored app does not have (an LLM's guesses)."""
    known = known_targets(app)
    missing = []
    for step in steps:
        target = step.get("target") or {}
        if not isinstance(target, dict) or not target:
            continue
        if target.get("role") and target.get("name"):
            key = (f"role:{target['role']}", str(target["name"]).lower())
        elif target.get("label"):
            key = ("label", str(target["label"]).lower())
        elif target.get("placeholder"):
            key = ("placeholder", str(target["placeholder"]).lower())
        else:
            continue  # css, xpath, text, test ids: not in the page map, not judged here
        if key not in known:
            missing.append(f"{key[0]}={key[1]}")
    return missing


_LENGTH_TITLE = re.compile(r"^(?:[\w.\-]+: )?(?P<field>[\w ]+?) of (?P<n>\d+) (?:characters?|chars?|letters?) is "
                           r"(?P<verdict>accepted|rejected)$", re.IGNORECASE)
_EMPTY_TITLE = re.compile(r"^(?:[\w.\-]+: )?(?P<field>[\w ]+?) left empty is refused$", re.IGNORECASE)
_FORMAT_TITLE = re.compile(r"^(?:[\w.\-]+: )?invalid (?P<field>[\w ]+?) is rejected$", re.IGNORECASE)
_BAD_VALUES = {"email": ["not-an-email", "a@"], "phone": ["12ab"], "url": ["not a url"], "date": ["31/02/2026"]}


def success_template(steps: list[dict[str, Any]]) -> bool:
    """Whether grounded steps are a whole valid submission: fills, a click, and a text to see after."""
    kinds = [s["action"] for s in steps]
    return "fill" in kinds and "click" in kinds and kinds[-1] == "expect_text"


def _field_index(steps: list[dict[str, Any]], field: str) -> int | None:
    words = field.lower().split()
    for i, step in enumerate(steps):
        label = str((step.get("target") or {}).get("label") or "").lower()
        if step["action"] == "fill" and label and (label in field.lower() or any(w == label for w in words)):
            return i
    return None


def _submission(template: list[dict[str, Any]], index: int, value: str | None, accepted: bool) -> list[dict[str, Any]]:
    success = template[-1]["text"]
    steps = [dict(s) for s in template[:-1]]
    if value is None:
        del steps[index]
    else:
        steps[index] = {**steps[index], "value": value}
    check = {"action": "expect_text", "text": success} if accepted else \
        {"action": "expect_hidden", "target": {"text": success}}
    return steps + [check]


def variant(title: str, template: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Steps for a boundary or negative case of a form the feature submits successfully elsewhere:
    the valid submission with one field changed, then the success text seen (accepted) or not
    (refused)."""
    if found := _LENGTH_TITLE.match(title):
        index = _field_index(template, found.group("field"))
        if index is None:
            return None
        value = ("Aa1!" * (int(found.group("n")) // 4 + 1))[:int(found.group("n"))]
        return _submission(template, index, value, found.group("verdict").lower() == "accepted")
    if found := _EMPTY_TITLE.match(title):
        index = _field_index(template, found.group("field"))
        return None if index is None else _submission(template, index, None, accepted=False)
    if found := _FORMAT_TITLE.match(title):
        index = _field_index(template, found.group("field"))
        bad = _BAD_VALUES.get(found.group("field").lower())
        if index is None or not bad:
            return None
        steps: list[dict[str, Any]] = []
        for value in bad:
            steps += _submission(template, index, value, accepted=False)
        return steps + template  # and the valid value still goes through
    return None
