"""Remediation hints and severity from the kind of failure (rules; no model needed)."""

import re

HINTS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"timeout|timed out|exceeded", re.I), "medium",
     "The step timed out: check that the element's locator still matches and that the page finishes loading; "
     "raise the step timeout only if the application is known to be slow."),
    (re.compile(r"connection refused|econnrefused|name or service not known|getaddrinfo|unreachable|dns", re.I), "high",
     "The application could not be reached: check that the environment is up and the base URL is right."),
    (re.compile(r"\b5\d\d\b|internal server error|bad gateway|service unavailable", re.I), "high",
     "The server answered with an error: look at the application's logs at the time of the run."),
    (re.compile(r"\b40[13]\b|unauthori[sz]ed|forbidden|login|credential", re.I), "high",
     "Access was refused: check the test account's credentials and permissions."),
    (re.compile(r"assert|expected|to (be|have|equal|contain)|mismatch", re.I), "medium",
     "An expectation did not hold: compare expected and actual values; if the requirement changed, update the case."),
    (re.compile(r"not found|no such element|locator|selector|resolved to \d+ elements|strict mode", re.I), "medium",
     "An element was not found: the page changed or the locator is fragile; prefer role- or test-id-based locators."),
    (re.compile(r"null|undefined|nonetype|keyerror|attributeerror|typeerror|exception", re.I), "high",
     "The application or the test raised an unexpected exception: see the stack trace's top frame."),
]
PRIORITY_SEVERITY = {"critical": "critical", "high": "high"}


def remediation(error: str) -> list[str]:
    hints = [hint for pattern, _, hint in HINTS if pattern.search(error)]
    return hints[:3] or ["Re-run the case to rule out flakiness, then compare its log with the last passing run."]


def severity(error: str, priority: str | None) -> str:
    if priority in PRIORITY_SEVERITY:
        return PRIORITY_SEVERITY[priority]
    for pattern, level, _ in HINTS:
        if pattern.search(error):
            return level
    return "medium"
