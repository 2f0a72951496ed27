"""The failures (and flaky passes) in a run's events, in one shape for triage."""

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from cognitest.schemas import Envelope

FAILED = {"failed", "error"}


@dataclass(frozen=True)
class Failure:
    index: int
    run_id: UUID
    case_id: UUID | None
    key: str
    outcome: str
    error: str
    failing_step: str | None = None
    browser: str | None = None
    artifacts: list[dict[str, Any]] = field(default_factory=list)


def _failing_step(log: list[dict[str, Any]]) -> str | None:
    failed = [entry for entry in log if entry.get("ok") is False]
    return str(failed[-1].get("action")) if failed else None


def failures_of(event: Envelope[Any]) -> tuple[list[Failure], list[UUID]]:
    """(failures to triage, ids of cases that passed only on retry)."""
    d = event.data
    if event.type == "run.case_finished":
        outcome = d.outcome.value
        if outcome == "flaky":
            return [], [d.case_id]
        if outcome not in FAILED:
            return [], []
        return [Failure(0, d.run_id, d.case_id, d.title or str(d.case_id), outcome, d.error or outcome,
                        _failing_step(d.log), d.browser, [a for a in d.artifacts if isinstance(a, dict)])], []
    if event.type == "results.ingested":
        failures, flaky = [], []
        for index, r in enumerate(d.results):
            if r.outcome.value == "flaky" and r.case_id:
                flaky.append(r.case_id)
            elif r.outcome.value in FAILED:
                failures.append(Failure(index, d.run_id, r.case_id, r.key, r.outcome.value, r.message or r.outcome.value))
        return failures, flaky
    return [], []


def flips(outcomes: list[str]) -> int:
    """How often a case's recent outcomes changed between pass and fail (oldest first)."""
    states = [o in FAILED for o in outcomes if o in FAILED or o == "passed"]
    return sum(1 for a, b in zip(states, states[1:], strict=False) if a != b)


def history(outcomes: list[str]) -> str:
    """The case's recent results in one line a person reads at a glance (oldest first): the strip,
    the passing streak the last failure broke, and how often the outcome flipped (flakiness)."""
    if not outcomes:
        return ""
    recent = outcomes[-10:]
    marks = "".join("✓" if o == "passed" else "✗" if o in FAILED else "·" for o in recent)
    line = f"Recent results of this case (oldest first): {marks}"
    judged = [o for o in recent if o in FAILED or o == "passed"]
    if len(judged) < 3:
        return line  # too few results to say more
    streak = 0
    for outcome in reversed(judged[:-1] if judged[-1] in FAILED else []):
        if outcome != "passed":
            break
        streak += 1
    changed = flips(judged)
    if changed <= 1 and streak:
        line += f"; a regression: it passed the {streak} run(s) before"
    elif changed >= 3:
        line += f"; flaky: the outcome changed {changed} times in {len(judged)} runs ({changed / (len(judged) - 1):.0%})"
    return line
