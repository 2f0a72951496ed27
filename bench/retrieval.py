"""Retrieval quality and cost of each offline embedding option on the labelled retrieval set
(tests/fixtures/knowledge/retrieval_set.yaml: 120 requirement -> accepted case pairs, eight
domains, worded differently on purpose).

For every requirement, all 120 cases are ranked by cosine similarity; recall@k is the share of
requirements whose case is in the top k, MRR the mean of 1 / rank. Cost: load time and texts
embedded per second on this machine. A litellm model is measured too when
COGNITEST_KNOWLEDGE__MODEL is set (it needs a network).

    .venv/bin/python -m bench.retrieval

Prints a table and writes bench/results/retrieval.json. Not a test: nothing here asserts."""

import asyncio
import math
import time
from pathlib import Path
from typing import Any

import yaml

from bench.results import save
from cognitest.infra.knowledge.embedders import HashingEmbedder, LiteLlmEmbedder, WordLlamaEmbedder
from cognitest.infra.settings import Settings

SET = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "knowledge" / "retrieval_set.yaml"


def labelled() -> tuple[list[str], list[str], list[str]]:
    pairs = yaml.safe_load(SET.read_text())["pairs"]
    return [p[1] for p in pairs], [f"{p[2]}. {p[3]}" for p in pairs], [p[0] for p in pairs]


def _cos(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def score(queries: list[list[float]], documents: list[list[float]]) -> dict[str, float]:
    ranks = []
    for i, query in enumerate(queries):
        sims = [_cos(query, d) for d in documents]
        ranks.append(1 + sum(1 for s in sims if s > sims[i]))
    n = len(ranks)
    return {"recall_at_1": sum(r <= 1 for r in ranks) / n, "recall_at_5": sum(r <= 5 for r in ranks) / n,
            "recall_at_10": sum(r <= 10 for r in ranks) / n, "mrr": sum(1 / r for r in ranks) / n,
            "median_rank": sorted(ranks)[n // 2]}


async def measure(name: str, make: Any, queries: list[str], cases: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    embedder = make()
    if isinstance(embedder, LiteLlmEmbedder):
        await embedder.probe()
    loaded = time.perf_counter() - started
    await embedder.embed(cases[:4])  # warm
    started = time.perf_counter()
    rounds = 5
    for _ in range(rounds):
        documents = await embedder.embed(cases)
    per_second = rounds * len(cases) / (time.perf_counter() - started)
    vectors = await embedder.embed(queries)
    return {"option": name, "embedder": embedder.name, "dimensions": embedder.dimensions,
            "load_s": round(loaded, 3), "texts_per_s": round(per_second), **score(vectors, documents)}


async def main() -> dict[str, Any]:
    queries, cases, domains = labelled()
    options: list[tuple[str, Any]] = [
        ("lexical hashing (word + bigram), 384", lambda: HashingEmbedder(384)),
        ("lexical hashing (word + bigram), 1024", lambda: HashingEmbedder(1024)),
        ("static embedding: WordLlama l2_supercat, 256", lambda: WordLlamaEmbedder(256)),
        ("static embedding: WordLlama l2_supercat truncated, 64", lambda: WordLlamaEmbedder(64)),
    ]
    knowledge = Settings().knowledge
    if knowledge.model:
        options.append((f"litellm {knowledge.model}", lambda: LiteLlmEmbedder(knowledge)))
    rows = [await measure(name, make, queries, cases) for name, make in options]
    result = {"pairs": len(queries), "domains": sorted(set(domains)), "options": rows,
              "not_measured": {"packaged sentence-transformers model": "no model ships inside a PyPI package: "
                               "sentence-transformers and fastembed download weights from the Hugging Face hub at run "
                               "time, which this offline default must not do",
                               "model2vec": "its models also download from the hub at run time"}}
    print(f"\nRetrieval on the labelled set ({len(queries)} requirement -> case pairs, {len(set(domains))} domains)")
    print(f"  {'option':<55} {'recall@1':>8} {'recall@5':>8} {'MRR':>6} {'load s':>7} {'texts/s':>9}")
    for r in rows:
        print(f"  {r['option']:<55} {r['recall_at_1']:>8.3f} {r['recall_at_5']:>8.3f} {r['mrr']:>6.3f} "
              f"{r['load_s']:>7.2f} {r['texts_per_s']:>9,}")
    result["paraphrases"] = paraphrases()
    save("retrieval", result)
    return result


def paraphrases() -> dict[str, Any]:
    """Requirement pairs reworded for another product against pairs of other behaviour
    (tests/fixtures/knowledge/paraphrases.json): how well raw and canonical texts separate them, by
    threshold. The knowledge base uses canonical texts and `requirement_score` (0.6)."""
    import json
    from pathlib import Path

    from cognitest.infra.knowledge.canonical import agreement, canonical

    pairs = json.loads((Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "knowledge" / "paraphrases.json")
                       .read_text())["pairs"]
    embedder = WordLlamaEmbedder(256)

    def cosine(a: str, b: str) -> float:
        va, vb = embedder.embed_now([a, b])
        return sum(x * y for x, y in zip(va, vb, strict=True))

    forms = {"raw text": [(cosine(p["a"], p["b"]), p["same"]) for p in pairs],
             "canonical text + action agreement": [
                 (cosine(canonical(p["a"]), canonical(p["b"])) * agreement(canonical(p["a"]), canonical(p["b"])), p["same"])
                 for p in pairs]}
    out: dict[str, Any] = {"pairs": len(pairs), "reworded": sum(p["same"] for p in pairs), "forms": {}}
    print(f"\nReworded requirements ({out['reworded']} reworded pairs, {len(pairs) - out['reworded']} of other behaviour)")
    print(f"  {'form':<36} {'threshold':>9} {'found':>6} {'kept apart':>10}")
    for name, scored in forms.items():
        rows = []
        for threshold in (0.4, 0.5, 0.6, 0.7):
            found = sum(1 for s, same in scored if same and s >= threshold) / out["reworded"]
            apart = sum(1 for s, same in scored if not same and s < threshold) / (len(pairs) - out["reworded"])
            rows.append({"threshold": threshold, "found": round(found, 3), "kept_apart": round(apart, 3)})
            print(f"  {name:<36} {threshold:>9} {found:>6.2f} {apart:>10.2f}")
        out["forms"][name] = rows
    return out


if __name__ == "__main__":
    asyncio.run(main())
