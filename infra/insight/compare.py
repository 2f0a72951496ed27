"""Two runs side by side, as a team reads them after a CI build: what newly fails, what was fixed,
what still fails, what is flaky, which cases were added or removed, which got much slower. A case
is matched by its case id, else by its result key (the JUnit `classname.name`). A result that did
not check anything (skipped, unverified, untested, manual) is listed as not checked, never as a
pass or a fix."""

from dataclasses import dataclass
from typing import Any
from collections.abc import Iterable

FAILING = frozenset({"failed", "error"})
UNCHECKED = frozenset({"skipped", "unverified", "untested", "manual"})
SLOWER_RATIO = 1.5  # a duration change worth a line: half again as long (or as short) ...
SLOWER_MS = 200  # ... and at least this much in absolute terms
LISTED = 200  # entries per list (counts are always complete)


@dataclass(frozen=True)
class Outcome:
    case_id: str | None
    key: str | None
    outcome: str
    duration_ms: int = 0
    attempts: int = 1
    error: str | None = None

    @property
    def identity(self) -> str:
        return f"case:{self.case_id}" if self.case_id else f"key:{self.key}"

    @property
    def flaky(self) -> bool:
        return self.outcome == "flaky" or (self.outcome == "passed" and self.attempts > 1)

    def brief(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "key": self.key, "outcome": self.outcome, "duration_ms": self.duration_ms,
                "error": (self.error or "").split("\n", 1)[0][:300] or None}


def compare(base: Iterable[Outcome], head: Iterable[Outcome]) -> dict[str, Any]:
    """`head` (the newer run) against `base`: every list holds head's result, with base's outcome."""
    before = {o.identity: o for o in base}
    after = {o.identity: o for o in head}
    lists: dict[str, list[dict[str, Any]]] = {name: [] for name in (
        "new_failures", "fixed", "still_failing", "flaky", "not_checked", "added", "removed", "slower", "faster")}
    for identity, now in after.items():
        was = before.get(identity)
        entry = {**now.brief(), "was": was.outcome if was else None}
        if was is None:
            lists["added"].append(entry)
        if now.outcome in FAILING:
            if was is None or was.outcome not in FAILING:
                lists["new_failures"].append(entry)
            else:
                lists["still_failing"].append(entry)
        elif now.outcome in UNCHECKED:
            lists["not_checked"].append(entry)
        elif was is not None and was.outcome in FAILING:
            lists["fixed"].append(entry)
        if now.flaky:
            lists["flaky"].append(entry)
        if was is not None and now.outcome not in UNCHECKED and was.outcome not in UNCHECKED:
            change = _duration_change(was.duration_ms, now.duration_ms)
            if change:
                lists[change].append({**entry, "was_ms": was.duration_ms, "delta_ms": now.duration_ms - was.duration_ms})
    lists["removed"] = [{**was.brief(), "was": was.outcome} for identity, was in before.items() if identity not in after]
    lists["slower"].sort(key=lambda e: -e["delta_ms"])
    lists["faster"].sort(key=lambda e: e["delta_ms"])
    counts = {name: len(items) for name, items in lists.items()}
    return {"counts": counts, **{name: items[:LISTED] for name, items in lists.items()},
            "truncated": any(len(items) > LISTED for items in lists.values())}


def _duration_change(was: int, now: int) -> str | None:
    if abs(now - was) < SLOWER_MS:
        return None
    if now >= was * SLOWER_RATIO:
        return "slower"
    if was >= now * SLOWER_RATIO:
        return "faster"
    return None
