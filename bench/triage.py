"""Triage benchmark on the labelled failure set (tests/support/triage_set.py): pairwise precision
and recall of "same issue" for exact signatures alone and with similarity matching, and how many
failures per second one process triages against 500 open issues.

    .venv/bin/python -m bench.triage

Prints a table and writes bench/results/triage.json. Not a test: nothing here asserts."""

import time
from itertools import combinations

from bench.results import save
from cognitest.infra.triage.signature import signature_of
from cognitest.infra.triage.similarity import match_issue
from tests.support.triage_set import labelled_failures


def assign(failures, similar: bool) -> list[str]:  # type: ignore[no-untyped-def]
    known: dict[str, str] = {}
    candidates: list[tuple[str, str]] = []
    out = []
    for index, failure in enumerate(failures):
        sig = signature_of(failure.error, failure.step)
        issue, _, _ = match_issue(sig.digest, sig.text, known, candidates if similar else [])
        if issue is None:
            issue = known[sig.digest] = f"i{index}"
            candidates.append((issue, sig.text))
        out.append(issue)
    return out


def scores(failures, assigned) -> dict[str, float]:  # type: ignore[no-untyped-def]
    tp = fp = fn = 0
    for i, j in combinations(range(len(failures)), 2):
        truth, predicted = failures[i].cause == failures[j].cause, assigned[i] == assigned[j]
        tp, fp, fn = tp + (truth and predicted), fp + (predicted and not truth), fn + (truth and not predicted)
    return {"precision": round(tp / (tp + fp), 3) if tp + fp else 1.0, "recall": round(tp / (tp + fn), 3),
            "issues": len(set(assigned))}


def main() -> dict:
    failures = labelled_failures(per_cause=3)
    rows = {"exact signature": scores(failures, assign(failures, similar=False)),
            "signature + similarity": scores(failures, assign(failures, similar=True))}
    many = labelled_failures(per_cause=25, seed=11)
    candidates = [(f"open-{i}", signature_of(f"Unrelated failure {i}: module_{i} broke on widget {i}").text) for i in range(500)]
    started = time.perf_counter()
    for failure in many:
        sig = signature_of(failure.error, failure.step)
        match_issue(sig.digest, sig.text, {}, candidates)
    rate = len(many) / (time.perf_counter() - started)
    result = {"failures": len(failures), "causes": 20, "modes": rows, "failures_per_second_vs_500_open": round(rate)}
    print(f"{'matching':<26}{'precision':>10}{'recall':>8}{'issues':>8}")
    for name, row in rows.items():
        print(f"{name:<26}{row['precision']:>10}{row['recall']:>8}{row['issues']:>8}")
    print(f"triage rate against 500 open issues: {result['failures_per_second_vs_500_open']} failures/s")
    save("triage", result)
    return result


if __name__ == "__main__":
    main()
