"""Retrieval from the knowledge base (Qdrant local mode on disk): filtered by project."""

import asyncio
import uuid
from pathlib import Path

from qdrant_client import AsyncQdrantClient, models

from cognitest.infra.embeddings import HashingEmbedder
from cognitest.infra.knowledge import Knowledge, collection_name
from cognitest.infra.settings import Settings


def test_similar_items_come_only_from_the_same_project(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    embedder = HashingEmbedder()
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())

    async def scenario() -> tuple[list, list]:
        knowledge = Knowledge(settings, embedder)
        assert await knowledge.similar(mine, ["login with password"]) == []  # no collection yet: nothing, no error
        client: AsyncQdrantClient = knowledge._connect()  # noqa: SLF001  the same local store
        name = collection_name(embedder)
        await client.create_collection(name, vectors_config=models.VectorParams(size=embedder.dimensions,
                                                                                 distance=models.Distance.COSINE))
        texts = [(mine, "Locked account after five failed login attempts"), (theirs, "Locked account after failed login"),
                 (mine, "Export the monthly report as CSV")]
        vectors = embedder.embed([t for _, t in texts])
        await client.upsert(name, points=[models.PointStruct(id=i, vector=v, payload={"project_id": p, "kind": "case", "text": t})
                                          for i, ((p, t), v) in enumerate(zip(texts, vectors, strict=True))])
        found = await knowledge.similar(mine, ["account locked after failed login attempts"], limit=5)
        other = await knowledge.similar(str(uuid.uuid4()), ["account locked"], limit=5)
        await client.close()
        return found, other

    found, other = asyncio.run(scenario())
    assert [e.text for e in found][0] == "Locked account after five failed login attempts"
    assert all("monthly" in e.text or "five" in e.text for e in found)  # never the other project's item
    assert other == []
