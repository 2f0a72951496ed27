"""The knowledge base in Qdrant: one collection per embedder (its name and vector size in the
collection's name, so a model change never mixes sizes), points keyed by the artifact's id, every
query filtered by project.

Local mode (no `COGNITEST_QDRANT__URL`) keeps the store on disk under the data directory; it can
be opened by one process at a time, which is why one process (the consumers' `knowledge` group)
owns it and serves retrieval to the generation workflow as Temporal activities."""

from typing import Any
from uuid import UUID

import structlog
from qdrant_client import AsyncQdrantClient, models

from cognitest.infra.knowledge.embedders import Embedder
from cognitest.infra.settings import Settings

log = structlog.get_logger(__name__)
PREFIX = "knowledge_"


class StoreLocked(RuntimeError):
    """The local store is open in another process."""


def collection_name(embedder: Embedder) -> str:
    return f"{PREFIX}{embedder.name}_{embedder.dimensions}".replace("-", "_").replace(".", "_")


def project_filter(project_id: UUID | str, **match: Any) -> models.Filter:
    must: list[Any] = [models.FieldCondition(key="project_id", match=models.MatchValue(value=str(project_id)))]
    for key, value in match.items():
        if isinstance(value, (list, tuple, set)):
            must.append(models.FieldCondition(key=key, match=models.MatchAny(any=list(value))))
        else:
            must.append(models.FieldCondition(key=key, match=models.MatchValue(value=value)))
    return models.Filter(must=must)


class KnowledgeStore:
    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self.collection = collection_name(embedder)
        self._client: AsyncQdrantClient | None = None

    async def open(self) -> bool:
        """Connect and create this embedder's collection if missing. True when it was created
        (everything must then be embedded again)."""
        if self._client is None:
            if self.settings.qdrant.url:
                self._client = AsyncQdrantClient(url=self.settings.qdrant.url, api_key=self.settings.qdrant.api_key)
            else:
                path = self.settings.qdrant.local_path(self.settings.data_dir)
                path.mkdir(parents=True, exist_ok=True)
                try:
                    self._client = AsyncQdrantClient(path=str(path))
                except RuntimeError as exc:  # qdrant-client's lock on a local store
                    raise StoreLocked(f"the local knowledge base at {path} is open in another process: run one "
                                      "knowledge consumer per local store, or a Qdrant server (COGNITEST_QDRANT__URL)") from exc
        if await self._client.collection_exists(self.collection):
            return False
        await self._client.create_collection(self.collection, vectors_config=models.VectorParams(
            size=self.embedder.dimensions, distance=models.Distance.COSINE))
        if self.settings.qdrant.url:  # payload indexes exist on a server only (local mode scans)
            for key in ("project_id", "kind", "verdict", "category"):
                await self._client.create_payload_index(self.collection, key, models.PayloadSchemaType.KEYWORD)
        log.info("knowledge.collection_created", collection=self.collection, dimensions=self.embedder.dimensions)
        return True

    @property
    def client(self) -> AsyncQdrantClient:
        assert self._client is not None, "open() first"
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def collections(self) -> dict[str, int]:
        names = [c.name for c in (await self.client.get_collections()).collections if c.name.startswith(PREFIX)]
        return {name: (await self.client.count(name, exact=True)).count for name in names}

    async def get(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        points = await self.client.retrieve(self.collection, ids=ids, with_payload=True, with_vectors=False)
        return {str(p.id): dict(p.payload or {}) for p in points}

    async def upsert(self, points: list[tuple[str, list[float], dict[str, Any]]]) -> None:
        if points:
            await self.client.upsert(self.collection, points=[
                models.PointStruct(id=pid, vector=vector, payload=payload) for pid, vector, payload in points])

    async def set_payload(self, point_id: str, payload: dict[str, Any]) -> None:
        await self.client.set_payload(self.collection, payload=payload, points=[point_id])

    async def delete(self, ids: list[str]) -> None:
        if ids:
            await self.client.delete(self.collection, points_selector=models.PointIdsList(points=ids))

    async def delete_project(self, project_id: UUID | str) -> None:
        await self.client.delete(self.collection, points_selector=models.FilterSelector(filter=project_filter(project_id)))

    async def search(self, project_id: UUID | str, vector: list[float], limit: int, **match: Any) -> list[tuple[float, dict[str, Any]]]:
        hits = await self.client.query_points(self.collection, query=vector, limit=limit, with_payload=True,
                                              query_filter=project_filter(project_id, **match))
        return [(float(h.score), dict(h.payload or {})) for h in hits.points]

    async def matching(self, project_id: UUID | str, limit: int, **match: Any) -> list[dict[str, Any]]:
        """Payloads of points matching the filter (a list field matches when any element does)."""
        points, _ = await self.client.scroll(self.collection, scroll_filter=project_filter(project_id, **match),
                                             limit=limit, with_payload=True, with_vectors=False)
        return [dict(p.payload or {}) for p in points]

    async def count(self, project_id: UUID | str, **match: Any) -> int:
        return (await self.client.count(self.collection, count_filter=project_filter(project_id, **match), exact=True)).count
