"""Embeddings behind one interface.

- `wordllama` (the default): WordLlama's static token embeddings (256 dimensions), whose weights
  and tokenizer ship inside the PyPI wheel: loads in a fraction of a second, no network, no GPU.
- `hashing`: the floor that needs nothing; word and word-bigram counts hashed into a fixed number
  of dimensions, L2-normalised. Lexical only: it finds "password reset" but not "forgot password".
- `litellm`: any provider's embedding model through litellm (`COGNITEST_KNOWLEDGE__MODEL`).

What each scores on the labelled retrieval set is in bench/retrieval.py and the README."""

import asyncio
import hashlib
import math
import re
from pathlib import Path
from typing import Any, Protocol

from cognitest.infra.settings import KnowledgeSettings

_TOKEN = re.compile(r"[a-z0-9]+")


class Embedder(Protocol):
    name: str
    dimensions: int

    async def embed(self, texts: list[str]) -> list[list[float]]: ...


class HashingEmbedder:
    name = "hashing-v1"

    def __init__(self, dimensions: int = 384) -> None:
        self.dimensions = dimensions

    def _bucket(self, token: str) -> tuple[int, float]:
        value = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")
        return value % self.dimensions, 1.0 if (value >> 63) & 1 else -1.0

    def embed_now(self, texts: list[str]) -> list[list[float]]:
        out = []
        for text in texts:
            vector = [0.0] * self.dimensions
            tokens = _TOKEN.findall(text.lower())
            for gram in [*tokens, *(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))]:
                index, sign = self._bucket(gram)
                vector[index] += sign
            norm = math.sqrt(sum(v * v for v in vector)) or 1.0
            out.append([v / norm for v in vector])
        return out

    async def embed(self, texts: list[str]) -> list[list[float]]:
        return self.embed_now(texts)


def usable(vector: list[float]) -> list[float]:
    """A text with nothing to embed (only spaces or control characters) comes back from some
    models as NaN or all zeros, which a cosine index cannot store or compare: such a vector is
    replaced by one fixed unit vector, so such texts match only each other and nothing crashes."""
    if vector and all(math.isfinite(v) for v in vector) and any(vector):
        return vector
    side = 1.0 / math.sqrt(len(vector) or 1)
    return [side] * len(vector)


class WordLlamaEmbedder:
    """WordLlama loaded from the files inside its wheel (its loader looks for the tokenizer under a
    directory name the package does not use, so the package directory is given as the cache and
    downloads are disabled: a missing file fails loudly instead of reaching for the network)."""

    def __init__(self, dimensions: int = 256) -> None:
        import wordllama
        from wordllama import WordLlama

        self.model = WordLlama.load(dim=256, trunc_dim=dimensions if dimensions < 256 else None,
                                    cache_dir=Path(wordllama.__file__).parent, disable_download=True)
        self.dimensions = dimensions
        self.name = f"wordllama-l2-{dimensions}"

    def embed_now(self, texts: list[str]) -> list[list[float]]:
        return [usable([float(x) for x in row]) for row in self.model.embed(texts, norm=True)]

    async def embed(self, texts: list[str]) -> list[list[float]]:
        if len(texts) <= 16:
            return self.embed_now(texts)
        return await asyncio.to_thread(self.embed_now, texts)


class LiteLlmEmbedder:
    """A provider's embedding model; the dimension is learnt from a first call (`probe`)."""

    def __init__(self, settings: KnowledgeSettings) -> None:
        if not settings.model:
            raise ValueError("the litellm embedder needs COGNITEST_KNOWLEDGE__MODEL, e.g. openai/text-embedding-3-small")
        self.settings = settings
        self.name = "litellm-" + re.sub(r"[^a-z0-9]+", "-", settings.model.lower()).strip("-")
        self.dimensions = 0

    async def embed(self, texts: list[str]) -> list[list[float]]:
        import litellm

        kwargs: dict[str, Any] = {"model": self.settings.model, "input": texts, "timeout": self.settings.timeout}
        if self.settings.api_base:
            kwargs["api_base"] = self.settings.api_base
        if self.settings.api_key:
            kwargs["api_key"] = self.settings.api_key
        response = await litellm.aembedding(**kwargs)
        vectors = [usable(list(map(float, item["embedding"]))) for item in sorted(response.data, key=lambda d: d["index"])]
        if vectors:
            self.dimensions = len(vectors[0])
        return vectors

    async def probe(self) -> None:
        await self.embed(["dimension probe"])


_EMBEDDERS: dict[tuple[str, int, str | None], Embedder] = {}


async def embedder_for(settings: KnowledgeSettings) -> Embedder:
    """One embedder per process and configuration (the model loads once)."""
    key = (settings.embedder, settings.dimensions, settings.model)
    if key not in _EMBEDDERS:
        if settings.embedder == "hashing":
            _EMBEDDERS[key] = HashingEmbedder(settings.dimensions or 384)
        elif settings.embedder == "wordllama":
            _EMBEDDERS[key] = await asyncio.to_thread(WordLlamaEmbedder, settings.dimensions or 256)
        else:
            remote = LiteLlmEmbedder(settings)
            await remote.probe()
            _EMBEDDERS[key] = remote
    return _EMBEDDERS[key]
