"""What the project's history does to freshly generated drafts (both engines).

For each draft, the examples retrieved for its requirements (similar requirements' cases and what
people did with them) are compared with it:

- Avoid: a draft of the same category whose title resembles cases people rejected for similar
  requirements is left out (listed as avoided, with the reason they gave), unless it is the
  only case left for its requirement.
- Adopt: edits people made to similar cases of the same category are applied the same way
  (the priority they set, the tags they added, a title prefix they wrote); tags every similar
  accepted case carries are carried too.
- Score: the confidence moves toward the category's record for similar requirements
  (Beta prior of weight 2 around the engine's own score), and says why.
"""

from collections import Counter
from typing import Any

from rapidfuzz import fuzz

from cognitest.infra.knowledge.documents import plain_title
from cognitest.schemas.enums import Priority
from cognitest.schemas.generation import CaseDraft, Example

LIKE = 75  # token-set similarity (0-100) at which two titles are the same kind of case
PRIOR = 2.0
GOOD = ("accepted", "modified", "human")


def _similar(a: str, b: str) -> bool:
    return fuzz.token_set_ratio(plain_title(a).lower(), plain_title(b).lower()) >= LIKE


def _prefix(edit: dict[str, Any]) -> str | None:
    """`Verify that the x` from `the x`: the words a person put before the generated title."""
    before, after = plain_title(str(edit.get("before") or "")), plain_title(str(edit.get("after") or ""))
    if before and after.lower().endswith(before.lower()) and len(after) > len(before):
        return after[: len(after) - len(before)]
    return None


def _learned_edits(examples: list[Example]) -> dict[str, Any]:
    """The edits that people made the same way to most of the similar modified cases."""
    edits = [e.edits for e in examples if e.verdict == "modified" and e.edits]
    if not edits:
        return {}
    learned: dict[str, Any] = {}
    priorities = Counter(str(c["after"]) for es in edits for c in es if c.get("field") == "priority" and c.get("after"))
    if priorities and priorities.most_common(1)[0][1] * 2 > len(edits) - 1:
        learned["priority"] = priorities.most_common(1)[0][0]
    added = Counter(t for es in edits for c in es if c.get("field") == "tags"
                    for t in set(c.get("after") or []) - set(c.get("before") or []))
    learned["tags"] = sorted(t for t, n in added.items() if n * 2 > len(edits) - 1)
    prefixes = Counter(p for es in edits for c in es if c.get("field") == "title" and (p := _prefix(c)))
    if prefixes and prefixes.most_common(1)[0][1] * 2 > len(edits) - 1:
        learned["prefix"] = prefixes.most_common(1)[0][0]
    return learned


def _with_prefix(title: str, prefix: str) -> str:
    key, sep, rest = title.partition(": ")
    if not sep:
        key, rest = "", title
    if rest.lower().startswith(prefix.strip().lower()):
        return title
    body = prefix + (rest[:1].lower() + rest[1:] if prefix.rstrip().endswith(("that", "the")) else rest)
    return (f"{key}: {body}" if key else body)[:500]


def apply_history(drafts: list[CaseDraft], examples: list[Example], min_score: float = 0.0) -> tuple[list[CaseDraft], list[dict[str, Any]]]:
    """The drafts as the history shapes them, and the drafts left out (title, category, because).
    Retrieval already dropped examples below the knowledge base's `min_score`."""
    by_key: dict[str, list[Example]] = {}
    for example in examples:
        if example.kind == "case" and example.score >= min_score and example.for_key:
            by_key.setdefault(example.for_key, []).append(example)
    if not by_key:
        return drafts, []
    kept: list[CaseDraft] = []
    dropped: list[tuple[CaseDraft, str]] = []
    for draft in drafts:
        related = {e.case_id or e.title: e for k in draft.requirement_keys for e in by_key.get(k, [])}.values()
        same = [e for e in related if (e.category or "functional") == draft.category]
        if not same:
            kept.append(draft)
            continue
        rejected = [e for e in same if e.verdict == "rejected" and _similar(e.title, draft.title)]
        liked = [e for e in same if e.verdict in GOOD and _similar(e.title, draft.title)]
        if rejected and len(rejected) > len(liked):
            reasons = sorted({e.reason or "unspecified" for e in rejected})
            dropped.append((draft, f"{len(rejected)} similar case(s) rejected ({', '.join(reasons)})"))
            continue
        kept.append(_shaped(draft, same))
    covered = {k for d in kept for k in d.requirement_keys}
    avoided = []
    for draft, because in dropped:
        if not set(draft.requirement_keys) <= covered:  # never leave a requirement without a case
            keep = draft.model_copy(update={"confidence": round(min(draft.confidence, 0.3), 3), "confidence_reasons": [
                *draft.confidence_reasons, f"kept although {because}: the requirement has no other case"][:10]})
            kept.append(keep)
            covered.update(draft.requirement_keys)
        else:
            avoided.append({"title": draft.title, "category": draft.category, "because": because})
    return kept, avoided


def _shaped(draft: CaseDraft, same: list[Example]) -> CaseDraft:
    good = [e for e in same if e.verdict in GOOD]
    bad = [e for e in same if e.verdict == "rejected"]
    update: dict[str, Any] = {}
    learned = _learned_edits(same)
    if learned.get("priority") in Priority.__members__:
        update["priority"] = Priority(learned["priority"])
    shared = set.intersection(*(set(e.tags) for e in good)) if len(good) >= 2 else set()
    tags = sorted(set(draft.tags) | set(learned.get("tags", [])) | (shared - {"generated"}))
    if tags != sorted(draft.tags):
        update["tags"] = tags[:20]
    if learned.get("prefix"):
        update["title"] = _with_prefix(draft.title, learned["prefix"])
    judged = len(good) + len(bad)
    confidence = (PRIOR * draft.confidence + len(good)) / (PRIOR + judged)
    reason = (f"project history for similar requirements ({draft.category}): {len(good)} accepted or edited, "
              f"{len(bad)} rejected")
    if learned:
        reason += "; applied the edits people made: " + ", ".join(
            f"{k} {v}" for k, v in learned.items() if v)
    update["confidence"] = round(max(0.0, min(1.0, confidence)), 3)
    update["confidence_reasons"] = [*draft.confidence_reasons, reason][:10]
    return draft.model_copy(update=update)
