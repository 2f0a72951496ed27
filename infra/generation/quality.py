"""How much a case really checks, for honest coverage: a requirement is *covered* only by a case
with concrete steps and an expected result of its own; a case whose steps are placeholders
("Exercise the behaviour: ...", "The behaviour matches the requirement") or that has no steps
traces the requirement only *weakly*. Coverage counts the first kind, and shows the second apart."""

import re
from collections.abc import Iterable
from typing import Any

from cognitest.schemas.generation import CaseDraft

CONCRETE, WEAK = "concrete", "weak"
COVERED, WEAKLY_COVERED, UNCOVERED = "covered", "weak", "uncovered"

# what a step says when it does not say what to do or what to see
_GENERIC = re.compile(
    r"^\s*(exercise the (behaviou?r|feature|functionality|requirement)|perform the behaviou?r( described)?"
    r"|the behaviou?r (matches|meets) the requirement|(it|the (system|feature|application)) (works|behaves) as "
    r"(expected|specified|required)|verify (that )?(the requirement|it) (is met|works)|as expected\.?$"
    r"|the requirement is (met|satisfied))", re.IGNORECASE)


def is_generic(text: str | None) -> bool:
    return bool(text) and bool(_GENERIC.search(text or ""))


def case_strength(steps: Iterable[Any], expected_result: str | None, executable_steps: Iterable[Any] | None = None) -> str:
    """`concrete` for executable steps, or written steps none of which is a placeholder with an
    expected outcome somewhere that is not one either; `weak` otherwise."""
    if list(executable_steps or []):
        return CONCRETE
    written = [s if isinstance(s, dict) else getattr(s, "model_dump", lambda: {})() for s in steps or []]
    actions = [str(s.get("action") or "") for s in written]
    expectations = [str(s.get("expected") or "") for s in written if s.get("expected")]
    if expected_result:
        expectations.append(expected_result)
    if not any(a.strip() for a in actions) or any(is_generic(a) for a in actions):
        return WEAK
    if not expectations or all(is_generic(e) for e in expectations):
        return WEAK
    return CONCRETE


def requirement_status(strengths: Iterable[str]) -> str:
    found = set(strengths)
    return COVERED if CONCRETE in found else WEAKLY_COVERED if found else UNCOVERED


def signature(case: CaseDraft) -> str:
    """What a case asks a tester to do and see, without the requirement key in its title."""
    steps = " | ".join(f"{s.action} => {s.expected}".lower() for s in case.steps)
    return f"{case.category}: {steps} => {case.expected_result.lower()}"


def merge_identical(cases: Iterable[CaseDraft]) -> tuple[list[CaseDraft], int]:
    """One case per signature, tracing every requirement its copies traced (a security check drafted
    for three features is one case of three requirements); and how many copies were merged."""
    kept: dict[str, CaseDraft] = {}
    merged = sum(absorbed(kept, case) for case in cases)
    return list(kept.values()), merged


def absorbed(kept: dict[str, CaseDraft], case: CaseDraft) -> bool:
    """Whether `case` repeats one already in `kept` (by signature): then that one traces its
    requirements too and `case` is not published; otherwise `case` joins `kept`."""
    first = kept.get(key := signature(case))
    if first is None:
        kept[key] = case
        return False
    first.requirement_keys = list(dict.fromkeys([*first.requirement_keys, *case.requirement_keys]))
    return True
