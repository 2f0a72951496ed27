"""The knowledge base on a real local Qdrant store: batched embedding, idempotent upserts on
redelivery, feedback and edits, project isolation of retrieval, one collection per model."""

import asyncio
import uuid
from pathlib import Path
from typing import Any

from cognitest.consumers.knowledge.activities import KnowledgeActivities
from cognitest.infra.knowledge.documents import operations
from cognitest.infra.knowledge.embedders import HashingEmbedder, WordLlamaEmbedder
from cognitest.infra.knowledge.store import KnowledgeStore, StoreLocked, collection_name
from cognitest.infra.knowledge.writer import KnowledgeWriter
from cognitest.infra.settings import Settings
from cognitest.schemas import new_event, parse_event
from cognitest.schemas.enums import ArtifactKind, FeedbackVerdict
from cognitest.schemas.events.feedback import FeedbackRecorded, FieldChange
from cognitest.schemas.events.testing import CaseChanges, CaseGenerated, CaseUpdated
from cognitest.schemas.pipeline import DraftQuery, DuplicateJob, RequirementQuery, RetrievalJob


class Counting:
    """An embedder that counts its calls (to see the batching)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name, self.dimensions, self.calls = inner, inner.name, inner.dimensions, []

    async def embed(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(len(texts))
        return await self.inner.embed(texts)


def generated(project: str, title: str, expected: str, category: str = "boundary") -> Any:
    return new_event(CaseGenerated(case_id=uuid.uuid4(), title=title, expected_result=expected, ai_generated=True,
                                   metadata={"category": category, "requirement_keys": ["R-1"]}), project_id=project)


def feedback(project: str, case_id: uuid.UUID, verdict: str, **extra: Any) -> Any:
    return new_event(FeedbackRecorded(feedback_id=uuid.uuid4(), artifact_kind=ArtifactKind.case, artifact_id=case_id,
                                      verdict=FeedbackVerdict(verdict), **extra), project_id=project)


def ops(events: list[Any], start: int = 1) -> list[tuple[int, Any]]:
    """As the consumer sees them: each event through its JSON form, as on the bus."""
    return [(seq, op) for seq, event in enumerate(events, start=start)
            for op in operations(parse_event(event.model_dump_json()), seq)]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_batches_are_embedded_once_and_redelivery_changes_nothing(tmp_path: Path) -> None:
    async def scenario() -> None:
        embedder = Counting(HashingEmbedder())
        store = KnowledgeStore(Settings(data_dir=tmp_path), embedder)
        assert await store.open() is True  # a model never used here before
        writer = KnowledgeWriter(store, batch_size=4)
        project = str(uuid.uuid4())
        events = [generated(project, f"Case {i}", f"Outcome {i}") for i in range(10)]
        assert (await writer.apply(ops(events)))["embedded"] == 10
        assert await store.open() is False  # its collections exist now
        assert embedder.calls == [4, 4, 2]  # batched by the configured size
        writer.cache = type(writer.cache)()  # a restarted process: no vectors in memory
        again = await writer.apply(ops(events))  # the same events delivered again
        assert again["embedded"] == 0 and embedder.calls == [4, 4, 2] and await store.count(project) == 10
        case = events[0].data.case_id
        edit = new_event(CaseUpdated(case_id=case, changes=CaseChanges(title="Case zero, reworded")), project_id=project)
        judged = feedback(project, case, "modified", diff=[FieldChange(field="title", before="Case 0", after="Case zero, reworded")])
        done = await writer.apply(ops([edit, judged], start=11))
        assert done["embedded"] == 1  # the text changed
        point = (await store.get(project, [str(case)]))[str(case)]
        assert point["verdict"] == "modified" and point["title"] == "Case zero, reworded" and point["edits"][0]["field"] == "title"
        assert point["category"] == "boundary" and point["requirement_keys"] == ["R-1"]  # untouched fields stay
        late = new_event(CaseUpdated(case_id=case, changes=CaseChanges(title="an older title")), project_id=project)
        await writer.apply(ops([late], start=11))  # older than what the point reflects: ignored
        assert (await store.get(project, [str(case)]))[str(case)]["title"] == "Case zero, reworded"
        await store.close()

    run(scenario())


def test_retrieval_never_crosses_projects(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = KnowledgeStore(Settings(data_dir=tmp_path), WordLlamaEmbedder())
        await store.open()
        writer = KnowledgeWriter(store)
        mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
        ours = generated(mine, "Account locks after five wrong passwords", "The sixth login attempt is refused")
        other = generated(theirs, "Account locks after repeated wrong passwords", "Further attempts are refused")
        await writer.apply(ops([ours, other, feedback(mine, ours.data.case_id, "accepted"),
                                feedback(theirs, other.data.case_id, "rejected", reason="irrelevant")]))
        activities = KnowledgeActivities(store, Settings().knowledge)
        query = [RequirementQuery(key="R-9", text="Lock the account after failed sign-in attempts")]
        found = await activities.examples(RetrievalJob(project_id=uuid.UUID(mine), requirements=query))
        assert [e.case_id for e in found] == [str(ours.data.case_id)] and found[0].verdict == "accepted"
        assert found[0].for_key == "R-9" and found[0].score > 0.5
        nobody = await activities.examples(RetrievalJob(project_id=uuid.uuid4(), requirements=query))
        assert nobody == []
        dup = await activities.duplicates(DuplicateJob(project_id=uuid.UUID(theirs), drafts=[
            DraftQuery(index=0, title="R-1: Account locks after repeated wrong passwords", expected_result="Further attempts are refused"),
            DraftQuery(index=1, title="Export the monthly report as CSV")]))
        assert dup == []  # their only similar case was rejected: not something to link to
        mine_dup = await activities.duplicates(DuplicateJob(project_id=uuid.UUID(mine), drafts=[
            DraftQuery(index=3, title="FR-2: Account locks after five wrong passwords", expected_result="The sixth login attempt is refused")]))
        assert [(d.index, d.case_id) for d in mine_dup] == [(3, str(ours.data.case_id))]
        await store.close()

    run(scenario())


def test_a_new_model_gets_its_own_collection_and_the_store_has_one_owner(tmp_path: Path) -> None:
    async def scenario() -> None:
        settings = Settings(data_dir=tmp_path)
        first = KnowledgeStore(settings, HashingEmbedder(384))
        await first.open()
        project = str(uuid.uuid4())
        await KnowledgeWriter(first).apply(ops([generated(project, "Login works", "The dashboard opens")]))
        try:
            second = KnowledgeStore(settings, HashingEmbedder(384))
            raised = False
            try:
                await second.open()
            except StoreLocked as exc:
                raised = "another process" in str(exc)
            assert raised
        finally:
            await first.close()
        wordllama = KnowledgeStore(settings, WordLlamaEmbedder())
        assert await wordllama.open() is True  # a new model: collections of its own, of its own size
        await KnowledgeWriter(wordllama).apply(ops([generated(project, "Login works", "The dashboard opens")]))
        assert await wordllama.collections() == {collection_name(HashingEmbedder(384)): 1, collection_name(WordLlamaEmbedder()): 1}
        sizes = [(await wordllama.client.get_collection(store.name_for(project))).config.params.vectors.size  # type: ignore[union-attr]
                 for store in (first, wordllama)]
        assert sizes == [384, 256]
        await wordllama.close()

    run(scenario())
