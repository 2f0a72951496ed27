"""Generation quality on the project's evaluation set (tests/fixtures/requirements, each document
with its labelled `.expected.json`): per document, requirement recall and precision, document ids
kept, Gherkin scenarios as labelled, cases generated offline, identical checks merged, the share of
placeholder cases, the share of duplicates, and requirements covered / weakly covered / uncovered.

    .venv/bin/python -m bench.generation_quality

Prints a table and writes bench/results/generation_quality.json. Not a test: the evaluation test
(tests/unit/test_evaluation_set.py) holds the targets."""

import asyncio

from bench.results import save
from tests.support.intake_eval import documents, score


async def main() -> dict:
    rows = [await score(name) for name in documents()]
    print("\nGeneration quality (offline engine) on the evaluation set")
    print(f"  {'document':28} {'format':9} {'reqs':>5} {'recall':>6} {'prec.':>6} {'ids':>5} {'cases':>5} "
          f"{'merged':>6} {'placeh.':>7} {'dupl.':>5}  covered/weak/uncovered")
    for r in rows:
        c = r.coverage
        print(f"  {r.document:28} {r.format:9} {r.expected:5} {r.recall:6.2f} {r.precision:6.2f} {r.ids_kept:5.2f} "
              f"{r.cases:5} {r.merged:6} {r.placeholder_share:7.2f} {r.duplicate_share:5.2f}  "
              f"{c['covered']}/{c['weak']}/{c['uncovered']}")
    cases = sum(r.cases for r in rows)
    placeholders = sum(round(r.placeholder_share * r.cases) for r in rows)
    result = {"documents": [r.as_dict() for r in rows], "cases": cases, "placeholder_cases": placeholders,
              "placeholder_share": placeholders / cases if cases else 0.0}
    print(f"  all: {cases} cases, {placeholders} placeholders ({result['placeholder_share']:.1%})")
    save("generation_quality", result)
    return result


if __name__ == "__main__":
    asyncio.run(main())
