"""Applies knowledge operations to the store in batches: one embedding call for every text a
batch changed, one upsert, then the payload-only changes and deletions.

Idempotent: each point keeps the stream sequence that last changed it, so a redelivered or late
event never rolls a point back; a text that did not change is not embedded again (a text-hash
cache in memory, then the hash stored with the point)."""

from collections import OrderedDict
from typing import Any

from cognitest.infra.knowledge.documents import Delete, Op, Patch, Upsert, case_payload, case_text, text_hash
from cognitest.infra.knowledge.store import KnowledgeStore
from cognitest.infra.metrics import EMBED_BATCH, EMBEDDINGS, KNOWLEDGE_OPS


class VectorCache:
    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._vectors: OrderedDict[str, list[float]] = OrderedDict()

    def get(self, key: str) -> list[float] | None:
        vector = self._vectors.get(key)
        if vector is not None:
            self._vectors.move_to_end(key)
        return vector

    def put(self, key: str, vector: list[float]) -> None:
        self._vectors[key] = vector
        self._vectors.move_to_end(key)
        while len(self._vectors) > self.size:
            self._vectors.popitem(last=False)


class KnowledgeWriter:
    def __init__(self, store: KnowledgeStore, batch_size: int = 256, cache: VectorCache | None = None) -> None:
        self.store = store
        self.batch_size = batch_size
        self.cache = cache or VectorCache()

    async def apply(self, ops: list[tuple[int, Op]]) -> dict[str, int]:
        """Apply (stream sequence, operation) pairs, project by project; returns counts of what was done."""
        by_project: dict[str, list[tuple[int, Op]]] = {}
        for seq, op in ops:
            by_project.setdefault(op.project, []).append((seq, op))
        done = {"embedded": 0, "updated": 0, "deleted": 0}
        for project, mine in by_project.items():
            for kind, n in (await self._apply(project, mine)).items():
                done[kind] += n
        return done

    async def _apply(self, project: str, ops: list[tuple[int, Op]]) -> dict[str, int]:
        current = await self.store.get(project, sorted({op.point_id for _, op in ops}))
        state: dict[str, dict[str, Any] | None] = dict(current)
        texts: dict[str, str] = {}  # points whose text must be (re-)embedded
        patches: dict[str, dict[str, Any]] = {}
        for seq, op in sorted(ops, key=lambda pair: pair[0]):
            point = state.get(op.point_id)
            if point is not None and int(point.get("seq", 0)) >= seq:
                continue  # that point already reflects a newer (or this very) event
            if isinstance(op, Delete):
                state[op.point_id] = None
                texts.pop(op.point_id, None)
                patches.pop(op.point_id, None)
            elif isinstance(op, Upsert):
                keep = {k: point[k] for k in ("verdict", "reason", "edits", "judged_at", "rating")
                        if point and k in point and op.payload.get("verdict") in ("pending", "human", None)}
                state[op.point_id] = {**op.payload, **keep, "text": op.text, "text_hash": text_hash(op.text)}
                if not point or point.get("text_hash") != text_hash(op.text):
                    texts[op.point_id] = op.text
                else:
                    patches[op.point_id] = state[op.point_id]  # same text: the stored vector stays
            elif isinstance(op, Patch) and point is not None:
                merged = {**point, **op.payload}
                if op.fields and point.get("kind") == "case":
                    fields = {**(point.get("fields") or {}), **op.fields}
                    merged.update(case_payload(fields))
                    merged["text"] = case_text(fields)
                    merged["text_hash"] = text_hash(merged["text"])
                    if merged["text_hash"] != point.get("text_hash"):
                        texts[op.point_id] = merged["text"]
                        patches.pop(op.point_id, None)  # re-embedded: the upsert carries the payload
                state[op.point_id] = merged
                if op.point_id not in texts:
                    patches[op.point_id] = merged
        vectors = await self._vectors(texts)
        await self.store.upsert(project, [(pid, vectors[pid], state[pid]) for pid in texts if state.get(pid) is not None])  # type: ignore[misc]
        await self.store.set_payloads(project, {pid: payload for pid, payload in patches.items()
                                                if state.get(pid) is not None and pid not in texts})
        deleted = [pid for pid, payload in state.items() if payload is None and current.get(pid) is not None]
        await self.store.delete(project, deleted)
        done = {"embedded": len(texts), "updated": len(patches), "deleted": len(deleted)}
        for kind, n in done.items():
            KNOWLEDGE_OPS.labels(kind).inc(n)
        return done

    async def _vectors(self, texts: dict[str, str]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        missing: dict[str, str] = {}
        for pid, text in texts.items():
            cached = self.cache.get(text_hash(text))
            if cached is not None:
                out[pid] = cached
            else:
                missing[pid] = text
        EMBEDDINGS.labels("hit").inc(len(out))
        EMBEDDINGS.labels("miss").inc(len(missing))
        items = list(missing.items())
        for start in range(0, len(items), self.batch_size):
            chunk = items[start:start + self.batch_size]
            EMBED_BATCH.observe(len(chunk))
            for (pid, text), vector in zip(chunk, await self.store.embedder.embed([t for _, t in chunk]), strict=True):
                out[pid] = vector
                self.cache.put(text_hash(text), vector)
        return out
