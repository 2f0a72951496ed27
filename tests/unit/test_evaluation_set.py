"""The evaluation set (tests/fixtures/requirements/*.expected.json, seven formats written the way
teams write them) read and generated offline as an upload would: every labelled requirement found,
nothing else taken for one, every document id kept, Gherkin outlines expanded, identical checks
merged across features, and the placeholder share held where it is today."""

import asyncio

import pytest

from cognitest.infra.generation.engine import OfflineEngine
from cognitest.schemas.generation import FeatureJob, Requirement
from tests.support.intake_eval import Score, documents, score

DOCUMENTS = documents()


def test_the_set_covers_eight_documents_in_seven_formats() -> None:
    formats = {asyncio.run(score(name)).format for name in DOCUMENTS}
    assert len(DOCUMENTS) >= 8 and len(formats) >= 7, (DOCUMENTS, formats)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_each_document_reads_as_labelled(name: str) -> None:
    result: Score = asyncio.run(score(name))
    assert result.recall >= 0.95, f"missed: {result.missed}"
    assert result.precision >= 0.9, f"taken for requirements: {result.extra}"
    assert result.ids_kept == 1.0 and result.scenarios_ok
    assert result.duplicate_share <= 0.02
    assert result.placeholder_share <= 0.15  # the remaining weak cases are counted as weak, never as covered
    assert result.coverage["uncovered"] == 0 and result.coverage["weak"] == round(result.coverage["weak"])


def test_across_the_set_few_cases_are_placeholders() -> None:
    results = [asyncio.run(score(name)) for name in DOCUMENTS]
    cases = sum(r.cases for r in results)
    weak = sum(r.placeholder_share * r.cases for r in results)
    assert cases > 100 and weak / cases <= 0.02


def test_publishing_merges_a_check_drafted_for_two_features_into_one_case_of_both() -> None:
    import uuid

    from cognitest.infra.generation.publishing import build_events
    from cognitest.schemas.generation import FeatureResult, GenerationInput, Usage
    from cognitest.schemas.pipeline import Loaded, PublishJob
    from tests.support.intake_eval import parse

    found = parse("passkeys_spec.md")
    requirements = [Requirement(id=uuid.uuid4(), **r.model_dump()) for r in found]
    engine = OfflineEngine()
    features = []
    for section in dict.fromkeys(r.section for r in requirements):
        group = [r for r in requirements if r.section == section]
        result = asyncio.run(engine.feature_cases(FeatureJob(generation_id=uuid.uuid4(), project_id=uuid.uuid4(),
                                                             feature=section or "General", requirements=group)))
        features.append(FeatureResult(feature=section or "General", cases=result.cases, usage=Usage(engine="offline")))
    drafted = sum(len(f.cases) for f in features)
    job = PublishJob(generation=GenerationInput(generation_id=uuid.uuid4(), project_id=uuid.uuid4()),
                     loaded=Loaded(title="Passkeys", requirements=requirements), features=features)
    events, summary = build_events(job, "test")
    published = [e for e in events if e.type == "case.generated"]
    assert summary.quality["identical_merged"] > 0
    assert len(published) == drafted - summary.quality["identical_merged"] == summary.cases
    titles = [e.data.title for e in published]
    assert len(titles) == len(set(titles))  # "Rejects SQL injection in credentials" once, for every feature it checks
    injection = next(e for e in published if "SQL injection" in e.data.title)
    assert len(injection.data.requirement_ids) >= 3
