"""An IEEE 829-shaped test plan from the requirements themselves."""

from collections import Counter

from cognitest.infra.generation.offline import detect
from cognitest.schemas.enums import Priority, RequirementKind
from cognitest.schemas.generation import PlanDraft, Requirement


def feature_of(req: Requirement) -> str:
    return req.section or "General"


def plan_for(title: str, requirements: list[Requirement]) -> PlanDraft:
    features = list(dict.fromkeys(feature_of(r) for r in requirements))
    kinds = Counter(r.kind for r in requirements)

    out_of_scope = [r.text for r in requirements if "won't" in r.text.lower() or "out of scope" in r.text.lower()]
    techniques = ["Requirements-based functional testing from acceptance criteria"]
    if any(detect.limits(r.text) for r in requirements):
        techniques.append("Boundary value analysis and equivalence partitioning on stated limits")
    if any(detect.topics(r.text) for r in requirements):
        techniques.append("OWASP-style security checks for authentication, sessions, uploads, payments and personal data")
    if any(detect.is_ui(r.text) for r in requirements):
        techniques.append("Accessibility checks against WCAG 2.2 AA for forms")
    if any(detect.endpoints(r.text) for r in requirements):
        techniques.append("API contract tests on the named endpoints")
    if kinds.get(RequirementKind.non_functional):
        techniques.append("Performance smoke tests on stated response-time targets")
    environment = []
    if any(detect.is_ui(r.text) for r in requirements):
        environment.append("Web application on a test environment; Chromium, Firefox and WebKit")
    if any(detect.endpoints(r.text) for r in requirements):
        environment.append("API reachable at {{base_url}} with test credentials")
    environment.append("Test data: seeded accounts and fixtures, no production data")
    critical = [r for r in requirements if r.priority in (Priority.critical, Priority.high)]
    risks = [f"{r.key}: {r.title}" for r in requirements if detect.topics(r.text) and r.priority in (Priority.critical, Priority.high)][:10]
    if kinds.get(RequirementKind.non_functional):
        risks.append(f"{kinds[RequirementKind.non_functional]} non-functional requirement(s) need a production-like environment")
    if not risks:
        risks.append("Ambiguous requirements may hide untested behaviour: review uncovered requirements")
    return PlanDraft(
        name=f"Test plan: {title}"[:255],
        description=(f"Covers {len(requirements)} requirement(s) across {len(features)} feature(s): "
                     f"{kinds.get(RequirementKind.functional, 0)} functional, "
                     f"{kinds.get(RequirementKind.non_functional, 0)} non-functional, "
                     f"{kinds.get(RequirementKind.constraint, 0)} constraint(s)."),
        objectives=[f"Verify that {f} behaves as its {sum(feature_of(r) == f for r in requirements)} requirement(s) state"
                    for f in features][:50],
        scope_in=features[:100],
        scope_out=out_of_scope[:100] or ["Anything not stated in the uploaded requirements"],
        approach=techniques,
        environment=environment,
        entry_criteria=[f"Requirements baselined ({len(requirements)} parsed)", "Build deployed to the test environment",
                        "Test data and accounts available"],
        exit_criteria=[f"All {len(critical)} critical/high-priority requirement(s) have passing cases",
                       "No open critical or high-severity issues", "Every requirement covered by at least one executed case"],
        risks=risks,
        deliverables=["This test plan", "Test suites and cases with requirement traceability", "Run reports",
                      "Issues for failures", "Traceability matrix"],
    ) if requirements else PlanDraft(name=f"Test plan: {title}"[:255])


__all__ = ["feature_of", "plan_for"]
