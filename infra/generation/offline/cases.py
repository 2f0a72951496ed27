"""Test cases derived from one requirement: positive cases from its acceptance criteria (or its
statement), boundary and negative cases from the limits, formats, required fields and
enumerations it names, security cases for risky topics, accessibility cases for UI forms, API
cases for named endpoints, and a performance smoke case for response-time targets."""

import re
from typing import Any

from cognitest.infra.generation.offline import clauses, detect, statements
from cognitest.infra.generation.offline.clauses import ordinal as _ordinal
from cognitest.schemas.enums import Priority, RequirementKind
from cognitest.schemas.generation import CaseDraft, ManualStep, Requirement

SAMPLES = {"email": "user@example.com", "password": "Str0ng!Passw0rd", "name": "Alex Tester",
           "phone": "+44 20 7946 0958", "username": "alex.tester", "code": "SAVE10", "address": "1 Test Street"}
SECURITY = {
    "authentication": [
        ("rejects SQL injection in credentials", "Submit the login form with username `' OR '1'='1' --`",
         "Login is refused with a generic error; no database error is shown"),
        ("does not reveal which credential was wrong", "Log in with an unknown user, then with a wrong password",
         "Both attempts show the same generic message"),
        ("throttles repeated failed logins", "Submit 20 wrong passwords in a minute",
         "Further attempts are delayed or blocked; the account owner is not locked out forever"),
    ],
    "session": [
        ("expires the session after logout", "Log out, then replay the previous session cookie/token",
         "The request is refused (401) and the user must log in again"),
        ("sets secure cookie flags", "Inspect the session cookie", "It is HttpOnly, Secure and SameSite"),
    ],
    "upload": [
        ("refuses dangerous files", "Upload an .exe renamed to .pdf and an SVG with a script",
         "Both are refused by content type; nothing is stored or executed"),
        ("enforces the size limit", "Upload a file one byte over the limit", "The upload is refused with a clear message"),
    ],
    "payment": [
        ("never shows or stores the full card number", "Complete a payment and inspect receipts, logs and the page",
         "Only the last four digits appear anywhere"),
        ("rejects tampered amounts", "Change the amount in the request before it is sent",
         "The server recomputes the amount and refuses the mismatch"),
    ],
    "personal data": [
        ("hides other users' personal data (IDOR)", "As user A, request user B's record by changing its id",
         "Access is denied (403/404) and nothing of B is returned"),
        ("escapes personal data on display (XSS)", "Save a name of `<script>alert(1)</script>` and view it",
         "The text is shown literally; no script runs"),
    ],
    "authorisation": [
        ("refuses the action to users without the role", "Perform the action as a user lacking the role",
         "The action is refused (403) and nothing changes"),
    ],
}


def _sample(field: str) -> str:
    lowered = field.lower()
    return next((v for k, v in SAMPLES.items() if k in lowered), "test value")


def _of_length(n: int) -> str:
    return ("Aa1!" * (n // 4 + 1))[:n]


def _quoted(text: str) -> list[str]:
    return re.findall(r"[\"“']([^\"”']{2,80})[\"”']", text)


def _ui_steps(req: Requirement, values: dict[str, str] | None = None, expect_rejected: bool = False) -> list[dict[str, Any]]:
    paths = detect.paths(req.text)
    fields = detect.form_fields(req.text)
    if not paths or not fields or not detect.is_ui(req.text):
        return []
    steps: list[dict[str, Any]] = [{"action": "goto", "url": paths[0]}]
    for field in fields:
        value = (values or {}).get(field, _sample(field))
        steps.append({"action": "fill", "target": {"label": field.capitalize()}, "value": value})
    name = detect.button(req.text) or "Submit"
    steps.append({"action": "click", "target": {"role": "button", "name": name}})
    if expect_rejected:
        steps.append({"action": "expect_url", "pattern": paths[0]})
    else:
        for text in _quoted(" ".join(s.text for sc in req.acceptance_criteria for s in sc if s.keyword == "Then")):
            steps.append({"action": "expect_text", "text": text})
    return steps


def _case(req: Requirement, title: str, category: str, steps: list[tuple[str, str]], expected: str, *,
          confidence: float, reasons: list[str], preconditions: str | None = None, priority: Priority | None = None,
          executable: list[dict[str, Any]] | None = None, tags: list[str] | None = None) -> CaseDraft:
    prio = priority or req.priority
    all_tags = [category, *(tags or [])]
    if category == "functional" and prio in (Priority.critical, Priority.high):
        all_tags.append("regression")
    return CaseDraft(
        title=f"{req.key}: {title}"[:500], category=category, preconditions=preconditions,
        steps=[ManualStep(action=a, expected=e) for a, e in steps], expected_result=expected, priority=prio,
        tags=sorted(set(all_tags)), requirement_keys=[req.key], executable_steps=executable or [],
        confidence=confidence, confidence_reasons=reasons,
    )


def _derived(text: str, req: Requirement) -> statements.Derived | None:
    """What to do and what to see, from the sentence: its own pattern first, then the title of the
    feature or story it belongs to."""
    context = req.section if req.title == text or req.text == text else req.title
    found = statements.derive(text) or clauses.derive(text, context) or (
        clauses.derive(text, req.section) if context != req.section else None)
    if found is None and text.startswith(req.title + ". "):  # a story: "<title>. As a clerk, I want ..."
        return _derived(text[len(req.title) + 2:], req)
    return found


def positive(req: Requirement) -> list[CaseDraft]:
    cases = []
    for index, scenario in enumerate(req.acceptance_criteria, start=1):
        given, mode = [], "given"  # an And or But continues the keyword before it
        for step in scenario:
            keyword = step.keyword.lower()
            mode = keyword if keyword in ("given", "when", "then") else mode
            if mode == "given" and keyword in ("given", "and", "but"):
                given.append(step.text)
        actions, expectations = [], []
        mode = "given"
        for step in scenario:
            keyword = step.keyword.lower()
            if keyword in ("when", "then"):
                mode = keyword
            if keyword == "given" or (keyword in ("and", "but") and mode == "given"):
                continue
            (expectations if mode == "then" else actions).append(step.text)
        if not actions and (derived := _derived(" ".join(expectations), req)) is not None:
            actions, expectations = [derived.action], [derived.expected]
            given = given or ([derived.preconditions] if derived.preconditions else [])
        if not actions:
            actions = ["Perform the behaviour described"]
        steps = [(a, "") for a in actions[:-1]] + [(actions[-1], "; ".join(expectations))]
        name = expectations[0] if expectations else req.title
        cases.append(_case(req, f"{name}" + (f" (scenario {index})" if len(req.acceptance_criteria) > 1 else ""),
                           "functional", steps, "; ".join(expectations) or req.text,
                           preconditions="; ".join(given) or None, confidence=0.9,
                           reasons=["derived from explicit acceptance criteria"], executable=_ui_steps(req)))
    if not cases and (derived := _derived(req.text, req)) is not None:
        cases.append(_case(req, f"{derived.expected}"[:200], "functional", [(derived.action[:2000], derived.expected[:2000])],
                           derived.expected, preconditions=derived.preconditions, confidence=0.75,
                           reasons=[f"derived from the requirement's own sentence ({derived.pattern})"],
                           executable=_ui_steps(req)))
    if not cases:
        action = "Exercise the behaviour: " + re.sub(r"^(the system|the application|users?)\s+(shall|must|should|will|may)\s+",
                                                    "", req.text, flags=re.IGNORECASE)
        cases.append(_case(req, f"Verify {req.title[0].lower() + req.title[1:]}".rstrip("."), "functional",
                           [(action[:2000], "The behaviour matches the requirement")], req.text,
                           confidence=0.6, reasons=["derived from the requirement statement (no acceptance criteria)"],
                           executable=_ui_steps(req)))
    return cases


def boundaries(req: Requirement) -> list[CaseDraft]:
    cases = []
    fields = detect.form_fields(req.text)
    for limit in detect.limits(req.text):
        unit = f" {limit.unit}" if limit.unit else ""
        for value, accepted in detect.boundary_values(limit):
            shown = int(value) if limit.integral else value
            verdict = "accepted" if accepted else "rejected"
            values = None
            if limit.unit.startswith(("char", "letter")) and fields:
                target = next((f for f in fields if f.lower() in limit.subject.lower() or limit.subject.lower() in f.lower()),
                              fields[-1])
                values = {target: _of_length(int(value))}
            title = f"{limit.subject} of {shown}{unit} is {verdict}"
            if limit.unit.startswith("attempt"):
                title = f"{shown} {limit.subject} are tolerated" if accepted else f"{shown} {limit.subject} trigger the rule"
            step = f"Use a {limit.subject} of exactly {shown}{unit}"
            outcome = f"A {limit.subject} of {shown}{unit} is {verdict}"
            if limit.unit == "count":
                title = f"{shown} {limit.subject} are {verdict}"
                step = f"Try it with exactly {shown} {limit.subject}"
                outcome = f"{shown} {limit.subject} are accepted" if accepted else \
                    f"The {_ordinal(int(value))} one is refused"
            cases.append(_case(
                req, title, "boundary" if accepted else "negative",
                [(step, f"It is {verdict}")],
                outcome + ("" if accepted else " with a clear message"),
                confidence=0.8, reasons=[f"boundary value analysis of the limit {limit.low}–{limit.high}{unit}"],
                executable=_ui_steps(req, values, expect_rejected=not accepted) if values else [],
            ))
    return cases


def negatives(req: Requirement) -> list[CaseDraft]:
    cases = []
    for name in detect.formats(req.text):
        _pattern, bad, good = detect.FORMATS[name]
        cases.append(_case(req, f"invalid {name} is rejected", "negative",
                           [(f"Enter the {name} `{value}`", "It is refused with a message naming the field") for value in bad]
                           + [(f"Enter the valid {name} `{good}`", "It is accepted")],
                           f"Malformed {name} values are refused; a well-formed one is accepted",
                           confidence=0.75, reasons=[f"the requirement asks for a valid {name}"]))
    for field in detect.required_fields(req.text):
        cases.append(_case(req, f"{field} left empty is refused", "negative",
                           [(f"Leave the {field} empty and submit", f"The {field} is flagged as required")],
                           f"Nothing is saved without a {field}", confidence=0.75,
                           reasons=[f"the requirement says the {field} is required"],
                           executable=_ui_steps(req, {f: "" for f in detect.form_fields(req.text) if f.lower() in field.lower()},
                                                expect_rejected=True)))
    for values in detect.enumerations(req.text):
        cases.append(_case(req, f"each allowed value is accepted ({', '.join(values)})", "boundary",
                           [(f"Choose `{v}`", "It is accepted") for v in values], "Every listed value is accepted",
                           confidence=0.75, reasons=["the requirement enumerates the allowed values"]))
        cases.append(_case(req, "a value outside the list is rejected", "negative",
                           [("Submit a value that is not in the list (e.g. `other`)", "It is refused")],
                           "Values outside the list are refused", confidence=0.7,
                           reasons=["the requirement enumerates the allowed values"]))
    return cases


def security(req: Requirement) -> list[CaseDraft]:
    cases = []
    for topic in detect.topics(req.text):
        for title, action, expected in SECURITY[topic]:
            cases.append(_case(req, title, "security", [(action, expected)], expected, confidence=0.55,
                               priority=Priority.high, tags=["owasp", topic.replace(" ", "-")],
                               reasons=[f"the requirement touches {topic} (OWASP-style check)"]))
    return cases


def accessibility(req: Requirement) -> list[CaseDraft]:
    if not re.search(r"\b(form|field|page|screen|button|input)\b", req.text, re.IGNORECASE):
        return []
    return [_case(req, "the form is usable with a keyboard and a screen reader", "accessibility",
                  [("Reach every field and button with Tab only", "Focus is visible and follows the visual order"),
                   ("Inspect each input", "Every input has a programmatic label"),
                   ("Submit with an error", "The error is announced and linked to its field (aria-describedby)")],
                  "The form meets WCAG 2.2 AA for keyboard use, labels and error identification",
                  confidence=0.5, priority=Priority.medium, tags=["wcag"],
                  reasons=["the requirement describes a UI form"])]


def api(req: Requirement) -> list[CaseDraft]:
    cases = []
    for method, path in detect.endpoints(req.text):
        ok = 201 if method == "POST" else 204 if method == "DELETE" else 200
        executable = [{"action": "request", "method": method, "url": "{{base_url}}" + path},
                      {"action": "expect_status", "status": ok}]
        cases.append(_case(req, f"{method} {path} succeeds", "api", [(f"Send {method} {path} with valid data", f"HTTP {ok}")],
                           f"{method} {path} answers {ok}", confidence=0.7, executable=executable,
                           reasons=["the requirement names the endpoint"]))
        if method in ("POST", "PUT", "PATCH"):
            cases.append(_case(req, f"{method} {path} refuses a malformed body", "api",
                               [(f"Send {method} {path} with a body of the wrong shape", "HTTP 400 or 422 with a message")],
                               "Malformed input is refused", confidence=0.65, reasons=["input validation of a named endpoint"],
                               executable=[{"action": "request", "method": method, "url": "{{base_url}}" + path,
                                            "json_body": {"unexpected": True}},
                                           {"action": "expect_status", "status": 422}]))
    return cases


def performance(req: Requirement) -> list[CaseDraft]:
    seconds = detect.response_time(req.text)
    if seconds is None or req.kind != RequirementKind.non_functional:
        return []
    return [_case(req, f"responds within {seconds:g} s", "performance",
                  [("Measure the response time of the operation 20 times under normal load",
                    f"The 95th percentile is at most {seconds:g} s")], f"p95 ≤ {seconds:g} s", confidence=0.7,
                  reasons=["the requirement states a response-time target"])]


def cases_for(req: Requirement) -> list[CaseDraft]:
    return [*positive(req), *boundaries(req), *negatives(req), *api(req), *performance(req), *security(req),
            *accessibility(req)]


SHARED = ("security", "accessibility")


def merge_shared(cases: list[CaseDraft]) -> list[CaseDraft]:
    """Security and accessibility checks are about the feature, not one sentence: one case per
    check, tracing every requirement that called for it."""
    merged: dict[tuple[str, str], CaseDraft] = {}
    out: list[CaseDraft] = []
    for case in cases:
        if case.category not in SHARED:
            out.append(case)
            continue
        title = case.title.split(": ", 1)[-1]
        key = (case.category, title)
        if key in merged:
            existing = merged[key]
            keys = list(dict.fromkeys([*existing.requirement_keys, *case.requirement_keys]))
            merged[key] = existing.model_copy(update={"requirement_keys": keys})
        else:
            merged[key] = case.model_copy(update={"title": title[:1].upper() + title[1:]})
    return out + list(merged.values())
