"""Similarity of two failures whose signatures differ: a lexical score from RapidFuzz on the
normalised text (token-set ratio ignores word order and repeated tokens)."""

from typing import Any

from rapidfuzz import fuzz

SAME_ISSUE_AT = 0.9


def similarity(a: str, b: str) -> float:
    head_a, _, rest_a = a.partition(" | ")
    head_b, _, rest_b = b.partition(" | ")
    score = fuzz.token_set_ratio(head_a, head_b) / 100
    if rest_a and rest_b and rest_a != rest_b:
        score *= 0.5 + 0.5 * fuzz.token_set_ratio(rest_a, rest_b) / 100  # different code paths weigh against
    return score


def best_match(text: str, candidates: list[tuple[str, str]], threshold: float = SAME_ISSUE_AT) -> tuple[str, float] | None:
    """(candidate id, score) of the most similar candidate text at or above the threshold."""
    best: tuple[str, float] | None = None
    for candidate_id, candidate_text in candidates:
        score = similarity(text, candidate_text)
        if score >= threshold and (best is None or score > best[1]):
            best = (candidate_id, score)
    return best


def _identity(text: str) -> str | None:
    """The test a signature is bound to (when its failure showed no evidence of a shared cause)."""
    for part in text.split(" | "):
        if part.startswith("test:"):
            return part
    return None


def match_issue(digest: str, text: str, known: dict[str, Any], candidates: list[tuple[str, str]]
                ) -> tuple[str | None, str, float | None]:
    """Which issue a failure belongs to: (issue id, how: signature | similar | new, score).
    `known` maps signatures to issue ids; `candidates` are (issue id, normalised text) of open issues.
    A failure bound to its test is only ever similar to issues of the same test: lexically close
    generic messages ("Not equal") of two tests are two issues."""
    if digest in known:
        return str(known[digest]), "signature", 1.0
    identity = _identity(text)
    candidates = [(i, t) for i, t in candidates if _identity(t) == identity]
    similar = best_match(text, candidates)
    if similar is not None:
        return similar[0], "similar", round(similar[1], 3)
    return None, "new", None
