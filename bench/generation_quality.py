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
    result["app"] = await app_aware()
    a = result["app"]
    print(f"  app-aware on the Bookshelf app: {a['pages']} pages mapped, {a['cases']} cases, {a['executable']} executable "
          f"({a['executable'] / a['cases']:.0%}), {a['verified']} verified against the app "
          f"({a['verified'] / max(a['executable'], 1):.0%}); with one behaviour broken, {a['failing_when_broken']} fail "
          f"({', '.join(a['failing_titles'])})")
    save("generation_quality", result)
    return result


async def app_aware() -> dict:
    """Explore the Bookshelf app, generate its requirements' cases grounded in it, run every executable
    case once against it (the platform's own case runner), then again against the app with its
    search made case-sensitive."""
    import tempfile
    import uuid
    from pathlib import Path

    from cognitest.consumers.execution.cases import CaseRunner, CaseSpec
    from cognitest.infra.blob import LocalBlobStore
    from cognitest.infra.execution_guard import TargetPolicy
    from cognitest.infra.generation.engine import OfflineEngine
    from cognitest.infra.generation.explore import explore
    from cognitest.infra.generation.quality import merge_identical
    from cognitest.infra.settings import Settings
    from cognitest.schemas.exploration import AppTarget
    from cognitest.schemas.generation import FeatureJob, Requirement
    from tests.support.bookshelf_app import BookshelfApp
    from tests.support.intake_eval import parse

    app, broken = BookshelfApp(), BookshelfApp(broken="search-case")
    policy = TargetPolicy(allow_private=True)
    settings = Settings().execution
    try:
        app_map = await explore(AppTarget(base_url=app.url), policy, settings.chromium_path)
        requirements = [Requirement(id=uuid.uuid4(), **r.model_dump()) for r in parse("bookshelf.md")]
        drafts = []
        for section in dict.fromkeys(r.section for r in requirements):
            job = FeatureJob(generation_id=uuid.uuid4(), project_id=uuid.uuid4(), feature=section or "General",
                             requirements=[r for r in requirements if r.section == section], app_map=app_map)
            drafts += (await OfflineEngine().feature_cases(job)).cases
        cases, _ = merge_identical(drafts)
        executable = [c for c in cases if c.executable_steps]
        with tempfile.TemporaryDirectory() as tmp:
            runner = CaseRunner(settings, LocalBlobStore(Path(tmp)), policy)
            try:
                outcomes, broken_outcomes = [], []
                for case in executable:
                    spec = CaseSpec(uuid.uuid4(), case.title, [s.model_dump(exclude_none=True) for s in case.executable_steps],
                                    "chromium")
                    outcomes.append((await runner.run(spec, {"base_url": app.url}, None, 0)).outcome)
                    broken_outcomes.append((case.title, (await runner.run(spec, {"base_url": broken.url}, None, 0)).outcome))
            finally:
                await runner.close()
    finally:
        app.close()
        broken.close()
    failing = [t for t, o in broken_outcomes if o != "passed"]
    return {"pages": len(app_map.pages), "cases": len(cases), "executable": len(executable),
            "verified": outcomes.count("passed"), "failing_when_broken": len(failing), "failing_titles": failing}


if __name__ == "__main__":
    asyncio.run(main())
