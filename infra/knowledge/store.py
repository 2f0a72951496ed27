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

from cognitest.infra.knowledge.canonical import CANONICAL_FORM
from cognitest.infra.knowledge.embedders import Embedder
from cognitest.infra.settings import Settings

log = structlog.get_logger(__name__)
PREFIX = "knowledge_"


class StoreLocked(RuntimeError):
    """The local store is open in another process."""


FORM = CANONICAL_FORM.replace("canonical-", "c")  # c1, c2 ...


def collection_name(embedder: Embedder) -> str:
    """The family of collections of one embedding model (its name and vector size) and one form of
    the texts it embeds (a new canonical form re-embeds the event stream, as a new model does)."""
    return f"{PREFIX}{embedder.name}_{embedder.dimensions}_{FORM}".replace("-", "_").replace(".", "_")


def project_filter(project_id: UUID | str, **match: Any) -> models.Filter:
    must: list[Any] = [models.FieldCondition(key="project_id", match=models.MatchValue(value=str(project_id)))]
    for key, value in match.items():
        if isinstance(value, (list, tuple, set)):
            must.append(models.FieldCondition(key=key, match=models.MatchAny(any=list(value))))
        else:
            must.append(models.FieldCondition(key=key, match=models.MatchValue(value=value)))
    return models.Filter(must=must)


def family_totals(counts: dict[str, int]) -> dict[str, int]:
    """Per-collection counts summed per model (`<family>_p<project>` -> `<family>`)."""
    totals: dict[str, int] = {}
    for name, n in counts.items():
        family = name.rsplit("_p", 1)[0]
        totals[family] = totals.get(family, 0) + n
    return totals


class KnowledgeStore:
    """One collection per project and model (`<family>_p<project>`): a project's queries never
    scan another project's points (local mode filters in Python), and dropping a project is
    dropping its collection. Points also carry `project_id`, and every query filters on it."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self.collection = collection_name(embedder)
        self._client: AsyncQdrantClient | None = None
        self._known: set[str] = set()

    def name_for(self, project_id: UUID | str) -> str:
        return f"{self.collection}_p{UUID(str(project_id)).hex}"

    async def open(self) -> bool:
        """Connect. True when this model has no collection yet (a new model: everything must be
        embedded again)."""
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
        self._known = {c.name for c in (await self._client.get_collections()).collections}
        for name in self._known:
            self._tune(name)
        return not any(name.startswith(self.collection + "_p") for name in self._known)

    async def _ensure(self, project_id: UUID | str) -> str:
        name = self.name_for(project_id)
        if name not in self._known:
            if not await self.client.collection_exists(name):
                await self.client.create_collection(name, vectors_config=models.VectorParams(
                    size=self.embedder.dimensions, distance=models.Distance.COSINE))
                if self.settings.qdrant.url:  # payload indexes exist on a server only (local mode scans)
                    for key in ("project_id", "kind", "verdict", "category"):
                        await self.client.create_payload_index(name, key, models.PayloadSchemaType.KEYWORD)
                log.info("knowledge.collection_created", collection=name, dimensions=self.embedder.dimensions)
            self._known.add(name)
            self._tune(name)
        return name

    def _tune(self, name: str) -> None:
        """Local mode writes each point to SQLite in its own transaction, fsynced: 0.6 ms of the
        1.6 ms a point costs. The knowledge base is derived data (rebuilt from the stream by a
        re-embed), so its SQLite runs in WAL mode without a sync per commit: still safe when the
        process is killed, only a power loss can drop the last points."""
        if self.settings.qdrant.url:
            return
        try:
            connection = self.client._client.collections[name].storage.storage  # type: ignore[attr-defined]
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
        except Exception as exc:  # noqa: BLE001  qdrant-client internals moved: only slower
            log.debug("knowledge.tune_skipped", collection=name, error=type(exc).__name__)

    def _existing(self, project_id: UUID | str) -> str | None:
        name = self.name_for(project_id)
        return name if name in self._known else None

    @property
    def client(self) -> AsyncQdrantClient:
        assert self._client is not None, "open() first"
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def point_counts(self) -> dict[str, int]:
        """Points per collection, every model and project."""
        names = [c.name for c in (await self.client.get_collections()).collections if c.name.startswith(PREFIX)]
        return {name: (await self.client.count(name, exact=True)).count for name in names}

    async def collections(self) -> dict[str, int]:
        """Points per model (collection family), over every project."""
        return family_totals(await self.point_counts())

    async def size(self, project_id: UUID | str) -> int:
        """Points in the project's collection of this model."""
        name = self._existing(project_id)
        return 0 if name is None else (await self.client.count(name, exact=True)).count

    async def get(self, project_id: UUID | str, ids: list[str]) -> dict[str, dict[str, Any]]:
        name = self._existing(project_id)
        if not ids or name is None:
            return {}
        points = await self.client.retrieve(name, ids=ids, with_payload=True, with_vectors=False)
        return {str(p.id): dict(p.payload or {}) for p in points}

    async def upsert(self, project_id: UUID | str, points: list[tuple[str, list[float], dict[str, Any]]]) -> None:
        if points:
            await self.client.upsert(await self._ensure(project_id), points=[
                models.PointStruct(id=pid, vector=vector, payload=payload) for pid, vector, payload in points])

    async def set_payloads(self, project_id: UUID | str, payloads: dict[str, dict[str, Any]]) -> None:
        """Payload-only changes of several points, in one request."""
        if payloads and (name := self._existing(project_id)) is not None:
            await self.client.batch_update_points(name, update_operations=[
                models.SetPayloadOperation(set_payload=models.SetPayload(payload=payload, points=[pid]))
                for pid, payload in payloads.items()])

    async def delete(self, project_id: UUID | str, ids: list[str]) -> None:
        if ids and (name := self._existing(project_id)) is not None:
            await self.client.delete(name, points_selector=models.PointIdsList(points=ids))

    async def delete_project(self, project_id: UUID | str) -> None:
        if (name := self._existing(project_id)) is not None:
            await self.client.delete_collection(name)
            self._known.discard(name)

    async def search(self, project_id: UUID | str, vector: list[float], limit: int, **match: Any) -> list[tuple[float, dict[str, Any]]]:
        if (name := self._existing(project_id)) is None:
            return []
        hits = await self.client.query_points(name, query=vector, limit=limit, with_payload=True,
                                              query_filter=project_filter(project_id, **match))
        return [(float(h.score), dict(h.payload or {})) for h in hits.points]

    async def matching(self, project_id: UUID | str, limit: int, **match: Any) -> list[dict[str, Any]]:
        """Payloads of points matching the filter (a list field matches when any element does)."""
        if (name := self._existing(project_id)) is None:
            return []
        points, _ = await self.client.scroll(name, scroll_filter=project_filter(project_id, **match),
                                             limit=limit, with_payload=True, with_vectors=False)
        return [dict(p.payload or {}) for p in points]

    async def count(self, project_id: UUID | str, **match: Any) -> int:
        if (name := self._existing(project_id)) is None:
            return 0
        return (await self.client.count(name, count_filter=project_filter(project_id, **match), exact=True)).count
