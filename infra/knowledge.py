"""The project knowledge base in Qdrant (local mode on disk in the embedded stack, a server in
compose.yaml): similar accepted artifacts to use as examples. Every query is filtered by project.
The feedback loop fills it; until then retrieval returns nothing."""

import structlog

from cognitest.infra.embeddings import Embedder, HashingEmbedder
from cognitest.infra.settings import Settings
from cognitest.schemas.generation import Example

log = structlog.get_logger(__name__)


def collection_name(embedder: Embedder) -> str:
    return f"knowledge_{embedder.name}_{embedder.dimensions}".replace("-", "_")


class Knowledge:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or HashingEmbedder()
        self._client = None

    def _connect(self):  # type: ignore[no-untyped-def]
        from qdrant_client import AsyncQdrantClient

        if self._client is None:
            if self.settings.qdrant.url:
                self._client = AsyncQdrantClient(url=self.settings.qdrant.url, api_key=self.settings.qdrant.api_key)
            else:
                path = self.settings.qdrant.local_path(self.settings.data_dir)
                path.mkdir(parents=True, exist_ok=True)
                self._client = AsyncQdrantClient(path=str(path))
        return self._client

    async def similar(self, project_id: str, texts: list[str], limit: int = 5) -> list[Example]:
        from qdrant_client import models

        if not texts:
            return []
        try:
            client = self._connect()
            name = collection_name(self.embedder)
            if not await client.collection_exists(name):
                return []
            vector = self.embedder.embed([" ".join(texts)[:20_000]])[0]
            hits = await client.query_points(
                name, query=vector, limit=limit, with_payload=True,
                query_filter=models.Filter(must=[models.FieldCondition(
                    key="project_id", match=models.MatchValue(value=str(project_id)))]),
            )
        except Exception as exc:  # retrieval improves generation; its absence must not stop it
            log.warning("knowledge.unavailable", error=f"{type(exc).__name__}: {exc}")
            return []
        return [Example(kind=str((h.payload or {}).get("kind", "case")), text=str((h.payload or {}).get("text", ""))[:4000],
                        score=float(h.score)) for h in hits.points]
