"""Grounding a feature's drafted cases in the explored application: functional cases get the
steps their requirement's sentence binds to (grounding.ground); boundary and negative cases of a
form get the feature's valid submission with one field changed (grounding.variant). Cases that
bind to nothing keep their written steps and stay manual; the reason says which page a grounded
case was bound to."""

from cognitest.infra.generation.grounding import ground, invented, success_template, variant
from cognitest.schemas.exploration import AppMap
from cognitest.schemas.generation import CaseDraft, Requirement


def ground_cases(cases: list[CaseDraft], requirements: list[Requirement], app: AppMap) -> list[CaseDraft]:
    by_key = {r.key: r for r in requirements}
    templates: dict[str, list[dict]] = {}  # page -> a valid submission of its form
    out: list[CaseDraft] = []
    for case in cases:
        if case.category != "functional" or case.executable_steps:
            out.append(case)
            continue
        requirement = by_key.get(case.requirement_keys[0]) if case.requirement_keys else None
        texts = [requirement.text] if requirement else []
        texts.append(" ".join([s.action for s in case.steps] + [case.expected_result]))
        bound = next((found for text in texts if (found := ground(text, app)) is not None), None)
        if bound is None:
            out.append(case)
            continue
        steps, page = bound
        if success_template(steps) and len([s for s in steps if s["action"] == "fill"]) > \
                len([s for s in templates.get(page, []) if s["action"] == "fill"]):
            templates[page] = steps
        out.append(_with(case, steps, f"grounded in the live app: {page}"))
    final = []
    for case in out:
        if case.category in ("boundary", "negative") and not case.executable_steps:
            for page, template in templates.items():
                if (steps := variant(case.title, template)) is not None:
                    case = _with(case, steps, f"grounded in the live app: {page}, the feature's valid submission varied")
                    break
        final.append(case)
    return final


def _with(case: CaseDraft, steps: list[dict], reason: str) -> CaseDraft:
    return CaseDraft.model_validate({**case.model_dump(), "executable_steps": steps,
                                     "confidence_reasons": [*case.confidence_reasons, reason][:10]})


def checked(case: CaseDraft, app: AppMap) -> CaseDraft:
    """A model's executable steps kept only when every element they target exists in the explored
    app; otherwise dropped (the case stays manual, and the reason names what was invented)."""
    if not case.executable_steps:
        return case
    missing = invented([s.model_dump(exclude_none=True) for s in case.executable_steps], app)
    if not missing:
        return case
    reason = "executable steps dropped: the app has no " + ", ".join(missing[:5])
    return case.model_copy(update={"executable_steps": [], "confidence_reasons": [*case.confidence_reasons, reason][:10]})


def page_summary(app: AppMap, elements_per_page: int = 60) -> list[dict]:
    """The map as the model sees it: paths, titles and bindable elements, bounded."""
    return [{"path": p.path, "title": p.title,
             "elements": [e.model_dump(include={"role", "name", "label", "placeholder"}, exclude_none=True)
                          for e in p.elements if e.role != "listitem"][:elements_per_page]} for p in app.pages]
