"""Does the platform learn? Generate for a set of requirements, apply a team's scripted feedback,
then generate for similar requirements it has not seen, with and without the knowledge base.

The team's taste (the script): accessibility cases are tested elsewhere (rejected, irrelevant);
brute-force and error-message checks duplicate a platform test (rejected, duplicate); response-time
cases are not testable in their pipeline (rejected); boundary cases are raised to critical and
tagged `limits`; negative cases get the title prefix "Validation: "; everything else is accepted.

Measured on the second round (offline engine, WordLlama embeddings, the real knowledge consumer
code on a local Qdrant):
- rejected patterns back: share of drafts of a kind people rejected for similar requirements;
- accepted pattern matched: share of the drafts of kinds people accepted or edited that come out
  the way people left them (priority, tags, title prefix);
- coverage: requirements with at least one case (must stay 100%).

    .venv/bin/python -m bench.learning

Prints a table and writes bench/results/learning.json. Not a test: nothing here asserts
(tests/unit/test_learning_benchmark.py does)."""

import asyncio
import tempfile
import uuid
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from bench.results import save
from cognitest.consumers.knowledge.activities import KnowledgeActivities
from cognitest.infra.generation.engine import OfflineEngine
from cognitest.infra.knowledge.documents import operations, plain_title
from cognitest.infra.knowledge.embedders import WordLlamaEmbedder
from cognitest.infra.knowledge.store import KnowledgeStore
from cognitest.infra.knowledge.writer import KnowledgeWriter
from cognitest.infra.projection.activity import derived_id
from cognitest.infra.settings import Settings
from cognitest.schemas import new_event, parse_event
from cognitest.schemas.enums import ArtifactKind, FeedbackVerdict, Priority
from cognitest.schemas.events.feedback import FeedbackRecorded, FieldChange
from cognitest.schemas.events.requirements import AtomicRequirement, RequirementParsed
from cognitest.schemas.events.testing import CaseChanges, CaseGenerated, CaseUpdated
from cognitest.schemas.generation import CaseDraft, FeatureJob, Requirement
from cognitest.schemas.pipeline import RequirementQuery, RetrievalJob

SEEN = [
    ("A-1", "Registration", "The system shall allow a visitor to register on the /register page with an email and a password."),
    ("A-2", "Registration", "The password must be between 8 and 64 characters long."),
    ("A-3", "Registration", "The email address is required and must be a valid email address."),
    ("A-4", "Login", "Users must be able to log in on the /login page; after 5 failed attempts the account is locked."),
    ("A-5", "Orders", "Customers create orders through POST /api/orders; the quantity must be between 1 and 10."),
    ("A-6", "Orders", "The order status must be one of 'new', 'paid' or 'shipped'."),
    ("A-7", "Uploads", "Users can upload an invoice file of at most 5 MB on the /invoices page."),
    ("A-8", "Performance", "The order page shall respond within 2 seconds for 95% of requests."),
]
UNSEEN = [
    ("B-1", "Partner sign-up", "The portal shall let a partner sign up on the /partners/join page with a work email and a password."),
    ("B-2", "Partner sign-up", "The partner password must be between 10 and 72 characters long."),
    ("B-3", "Partner sign-up", "The work email is required and must be a valid email address."),
    ("B-4", "Partner login", "Partners must be able to sign in on the /partners/login page; after 3 failed attempts the account is locked."),
    ("B-5", "Returns", "Customers request returns through POST /api/returns; the number of items must be between 1 and 20."),
    ("B-6", "Returns", "The return reason must be one of 'damaged', 'wrong item' or 'changed mind'."),
    ("B-7", "Documents", "Partners can upload a contract file of at most 10 MB on the /contracts page."),
    ("B-8", "Performance", "The returns page shall respond within 3 seconds for 95% of requests."),
]
# the same product areas in other words, as another team would write them (bench/learning measures both)
PARAPHRASED = [
    ("P-1", "Partner onboarding", "Partners shall enrol from the /partners/join screen by giving a work e-mail and a passphrase."),
    ("P-2", "Partner onboarding", "A passphrase must contain from 10 to 72 characters."),
    ("P-3", "Partner onboarding", "A work e-mail is mandatory and has to be a valid email address."),
    ("P-4", "Partner sign-in", "Members sign in on the /partners/signin screen; after 3 unsuccessful attempts the account is "
                               "suspended."),
    ("P-5", "Returns", "Buyers submit returns through POST /api/returns; the number of units must be between 1 and 20."),
    ("P-6", "Returns", "A return's state has to be one of 'open', 'received' or 'refunded'."),
    ("P-7", "Documents", "Partners may attach a contract document of at most 10 MB on the /contracts screen."),
    ("P-8", "Performance", "The returns screen must load within 3 seconds for 95% of visits."),
]
PREFIX = "Validation: "


def requirements(rows: list[tuple[str, str, str]], document: uuid.UUID) -> list[Requirement]:
    from cognitest.schemas.enums import RequirementKind

    return [Requirement(id=derived_id(document, key), key=key, title=text[:60], text=text, section=section,
                        kind=RequirementKind.non_functional if section == "Performance" else RequirementKind.functional)
            for key, section, text in rows]


async def generate(reqs: list[Requirement], examples: list[Any]) -> tuple[list[CaseDraft], list[dict[str, Any]]]:
    engine, drafts, avoided = OfflineEngine(), [], []
    for section in dict.fromkeys(r.section for r in reqs):
        job = FeatureJob(generation_id=uuid.uuid4(), project_id=uuid.uuid4(), feature=section or "General",
                         requirements=[r for r in reqs if r.section == section], examples=examples)
        result = await engine.feature_cases(job)
        drafts += result.cases
        avoided += result.avoided
    return drafts, avoided


def verdict_for(draft: CaseDraft) -> tuple[str, str | None, dict[str, Any]]:
    """The team's script: (verdict, reason, changes)."""
    title = plain_title(draft.title).lower()
    if draft.category == "accessibility":
        return "rejected", "irrelevant", {}
    if draft.category == "security" and ("throttles" in title or "does not reveal" in title):
        return "rejected", "duplicate", {}
    if draft.category == "performance":
        return "rejected", "not_testable", {}
    if draft.category == "boundary":
        return "modified", None, {"priority": "critical", "tags": sorted({*draft.tags, "limits"})}
    if draft.category == "negative":
        key, _, rest = draft.title.partition(": ")
        return "modified", None, {"title": f"{key}: {PREFIX}{rest}"}
    return "accepted", None, {}


async def teach(writer: KnowledgeWriter, project: str, document: uuid.UUID, reqs: list[Requirement],
                drafts: list[CaseDraft]) -> list[tuple[CaseDraft, str, dict[str, Any]]]:
    by_key = {r.key: r for r in reqs}
    events = [new_event(RequirementParsed(document_id=document, requirements=[
        AtomicRequirement(key=r.key, title=r.title, text=r.text, section=r.section) for r in reqs]), project_id=project)]
    judged = []
    for draft in drafts:
        case_id = uuid.uuid4()
        events.append(new_event(CaseGenerated(
            case_id=case_id, title=draft.title, expected_result=draft.expected_result, priority=draft.priority,
            steps=[s.model_dump() for s in draft.steps], tags=draft.tags, ai_generated=True,
            requirement_ids=[str(by_key[k].id) for k in draft.requirement_keys if k in by_key],
            metadata={"category": draft.category, "requirement_keys": draft.requirement_keys}), project_id=project))
        verdict, reason, changes = verdict_for(draft)
        diff = []
        if changes:
            events.append(new_event(CaseUpdated(case_id=case_id, changes=CaseChanges(**changes)), project_id=project))
            before = {"priority": draft.priority.value, "tags": draft.tags, "title": draft.title}
            diff = [FieldChange(field=k, before=before[k], after=v) for k, v in changes.items()]
        events.append(new_event(FeedbackRecorded(feedback_id=uuid.uuid4(), artifact_kind=ArtifactKind.case,
                                                 artifact_id=case_id, verdict=FeedbackVerdict(verdict), reason=reason,
                                                 diff=diff), project_id=project))
        judged.append((draft, verdict, changes))
    ops = [(seq, op) for seq, e in enumerate(events, 1) for op in operations(parse_event(e.model_dump_json()), seq)]
    await writer.apply(ops)
    return judged


def _like(a: CaseDraft, b: CaseDraft) -> bool:
    return a.category == b.category and fuzz.token_set_ratio(plain_title(a.title).lower(), plain_title(b.title).lower()) >= 75


def score(drafts: list[CaseDraft], judged: list[tuple[CaseDraft, str, dict[str, Any]]], reqs: list[Requirement]) -> dict[str, Any]:
    rejected = [d for d, v, _ in judged if v == "rejected"]
    good = [(d, v, c) for d, v, c in judged if v != "rejected"]
    back = [d for d in drafts if any(_like(d, r) for r in rejected)]
    comparable, matched = 0, 0
    for draft in drafts:
        same = [(d, c) for d, _, c in good if _like(draft, d)]
        if not same:
            continue
        comparable += 1
        _, changes = same[0]
        ok = (not changes.get("priority") or draft.priority == Priority(changes["priority"])) and \
             set(changes.get("tags", [])) <= set(draft.tags) and \
             (PREFIX not in changes.get("title", "") or PREFIX in draft.title)
        matched += ok
    covered = {k for d in drafts for k in d.requirement_keys}
    return {"drafts": len(drafts), "rejected_patterns_back": round(len(back) / len(drafts), 3) if drafts else 0.0,
            "rejected_back_count": len(back), "accepted_pattern_matched": round(matched / comparable, 3) if comparable else 0.0,
            "comparable": comparable, "coverage": round(len([r for r in reqs if r.key in covered]) / len(reqs), 3),
            "mean_confidence": round(sum(d.confidence for d in drafts) / len(drafts), 3) if drafts else 0.0}


async def measure(data_dir: Path, unseen_rows: list[tuple[str, str, str]] | None = None) -> dict[str, Any]:
    settings = Settings(data_dir=data_dir)
    store = KnowledgeStore(settings, WordLlamaEmbedder())
    await store.open()
    try:
        writer, project = KnowledgeWriter(store), str(uuid.uuid4())
        seen_doc = uuid.uuid4()
        seen = requirements(SEEN, seen_doc)
        first, _ = await generate(seen, [])
        judged = await teach(writer, project, seen_doc, seen, first)
        unseen_doc = uuid.uuid4()
        unseen = requirements(unseen_rows or UNSEEN, unseen_doc)
        await writer.apply([(10_000 + i, op) for i, op in enumerate(operations(new_event(RequirementParsed(
            document_id=unseen_doc, requirements=[AtomicRequirement(key=r.key, title=r.title, text=r.text, section=r.section)
                                                  for r in unseen]), project_id=project), 10_000))])
        baseline, _ = await generate(unseen, [])
        examples = await KnowledgeActivities(store, settings.knowledge).examples(RetrievalJob(
            project_id=uuid.UUID(project), requirements=[RequirementQuery(key=r.key, text=f"{r.title}. {r.text}") for r in unseen]))
        learned, avoided = await generate(unseen, examples)
    finally:
        await store.close()
    verdicts = [v for _, v, _ in judged]
    return {"seen_requirements": len(SEEN), "unseen_requirements": len(unseen), "first_round_drafts": len(first),
            "feedback": {v: verdicts.count(v) for v in ("accepted", "modified", "rejected")},
            "examples_retrieved": sum(1 for e in examples if e.kind == "case"), "avoided": len(avoided),
            "without_history": [e.for_key for e in examples if e.kind == "nearest"],
            "without_knowledge": score(baseline, judged, unseen), "with_knowledge": score(learned, judged, unseen)}


def main() -> dict[str, Any]:
    results = {}
    for name, rows in (("near_copies", UNSEEN), ("paraphrased", PARAPHRASED)):
        with tempfile.TemporaryDirectory() as tmp:
            result = asyncio.run(measure(Path(tmp), rows))
        results[name] = result
        w, k = result["without_knowledge"], result["with_knowledge"]
        print(f"\nLearning benchmark ({name}): {result['seen_requirements']} seen requirements, "
              f"{result['first_round_drafts']} drafts judged ({result['feedback']}), then "
              f"{result['unseen_requirements']} unseen requirements ({len(result['without_history'])} found no history)")
        print(f"  {'second round':<34} {'without knowledge':>18} {'with knowledge':>15}")
        for label, key in (("drafts", "drafts"), ("rejected patterns back", "rejected_patterns_back"),
                           ("accepted pattern matched", "accepted_pattern_matched"), ("requirement coverage", "coverage"),
                           ("mean confidence", "mean_confidence")):
            print(f"  {label:<34} {w[key]:>18} {k[key]:>15}")
    combined = {**results["near_copies"], "paraphrased": results["paraphrased"]}
    save("learning", combined)
    return combined


if __name__ == "__main__":
    main()
