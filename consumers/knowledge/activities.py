"""Retrieval served to the generation workflow as Temporal activities, on the task queue of the
process that owns the knowledge base (`<task queue>-knowledge`): similar judged cases for each
requirement, and the existing cases a new draft duplicates."""

from typing import Any

import structlog
from temporalio import activity

from cognitest.infra.knowledge.canonical import agreement, canonical
from cognitest.infra.knowledge.documents import case_text
from cognitest.infra.generation.quality import case_strength
from cognitest.infra.knowledge.values import same_values
from cognitest.infra.knowledge.store import KnowledgeStore
from cognitest.infra.metrics import KNOWLEDGE_QUERIES
from cognitest.infra.settings import KnowledgeSettings
from cognitest.schemas.generation import Example
from cognitest.schemas.pipeline import Duplicate, DuplicateJob, RetrievalJob

log = structlog.get_logger(__name__)
JUDGED = ["accepted", "modified", "rejected", "human"]


class KnowledgeActivities:
    def __init__(self, store: KnowledgeStore, settings: KnowledgeSettings) -> None:
        self.store = store
        self.settings = settings

    @activity.defn(name="knowledge_examples")
    async def examples(self, job: RetrievalJob) -> list[Example]:
        """For each requirement, the cases people judged (accepted, edited, rejected or wrote
        themselves) in the same project: those that trace the most similar earlier requirements
        (what was done for the same kind of requirement), and those closest to it themselves.
        Each carries the similarity that found it."""
        KNOWLEDGE_QUERIES.labels("examples").inc()
        if not job.requirements or await self.store.count(job.project_id, kind="case", verdict=JUDGED) == 0:
            return []
        vectors = await self.store.embedder.embed([q.text[:2000] for q in job.requirements])
        forms = [canonical(q.text[:2000]) for q in job.requirements]
        canonical_vectors = await self.store.embedder.embed(forms)
        limit = min(job.limit, self.settings.examples) if job.limit else self.settings.examples
        out: list[Example] = []
        for query, vector, form, form_vector in zip(job.requirements, vectors, forms, canonical_vectors, strict=True):
            found: dict[str, Example] = {}
            # earlier requirements in other words: canonical texts, what is done must agree ("add" is not "delete")
            scored = [(score * agreement(form, str(p.get("text") or "")), p) for score, p in
                      await self.store.search(job.project_id, form_vector, limit, kind="requirement")]
            nearest = max((score for score, _ in scored), default=0.0)
            similar = {p.get("requirement_id") or "": score for score, p in scored
                       if score >= self.settings.requirement_score}
            if similar:  # their cases in one lookup, each scored by the most similar requirement it traces
                for p in await self.store.matching(job.project_id, 50 * len(similar), kind="case", verdict=JUDGED,
                                                   requirement_ids=list(similar)):
                    score = max(similar.get(r, 0.0) for r in p.get("requirement_ids") or [""])
                    _keep(found, _example(query.key, score, p))
            for score, p in await self.store.search(job.project_id, vector, limit, kind="case", verdict=JUDGED):
                if score >= self.settings.min_score:
                    _keep(found, _example(query.key, score, p))
            out.extend(found.values())
            if not found:  # said in the generation result: no history close enough, and how close the nearest was
                out.append(Example(kind="nearest", text="", score=round(nearest, 4), for_key=query.key))
        log.info("knowledge.examples", project=str(job.project_id), requirements=len(job.requirements), found=len(out))
        return out

    @activity.defn(name="knowledge_duplicates")
    async def duplicates(self, job: DuplicateJob) -> list[Duplicate]:
        """Drafts as close as `duplicate_score` to an existing case of the project (not one being
        regenerated, not one people rejected)."""
        KNOWLEDGE_QUERIES.labels("duplicates").inc()
        if not job.drafts or await self.store.count(job.project_id, kind="case") == 0:
            return []
        texts = [case_text({"title": d.title, "expected_result": d.expected_result,
                            "steps": [{"action": a} for a in d.actions]}) for d in job.drafts]
        vectors = await self.store.embedder.embed(texts)
        excluded = set(job.exclude_case_ids)
        found: list[Duplicate] = []
        for draft, text, vector in zip(job.drafts, texts, vectors, strict=True):
            for score, p in await self.store.search(job.project_id, vector, 3, kind="case",
                                                    verdict=["pending", "accepted", "modified", "human"]):
                # alike in wording but testing other values (a limit, a duration): a case of its own
                fields = p.get("fields") or {"title": p.get("title")}
                if score >= self.settings.duplicate_score and str(p.get("case_id")) not in excluded \
                        and same_values(text, case_text(fields)):
                    found.append(Duplicate(index=draft.index, case_id=str(p.get("case_id")), title=str(p.get("title", "")),
                                           score=round(score, 4),
                                           strength=case_strength(fields.get("steps") or [], fields.get("expected_result"))))
                    break
        return found

    def all(self) -> list[Any]:
        return [self.examples, self.duplicates]


def _keep(found: dict[str, Example], example: Example) -> None:
    key = example.case_id or example.title
    if key not in found or found[key].score < example.score:
        found[key] = example


def _example(key: str, score: float, p: dict[str, Any]) -> Example:
    return Example(kind="case", text=str(p.get("text", ""))[:2000], score=round(score, 4), for_key=key,
                   case_id=p.get("case_id"), title=str(p.get("title", "")), category=p.get("category"),
                   priority=p.get("priority"), tags=list(p.get("tags") or []), verdict=p.get("verdict"),
                   reason=p.get("reason"), edits=list(p.get("edits") or []))
