"""Generation benchmarks.

1. Offline engine: documents per second, and the time to parse and generate from a 50-page
   specification (aim: under one second).
2. LLM engine: our overhead per call over a bare litellm call to the same local
   OpenAI-compatible server, in the same run; and per generation (a plan and one call per
   feature, as the pipeline makes them) over the same bare calls, with the tokens per case.

    .venv/bin/python -m bench.generation

Prints a table and writes bench/results/generation.json. Not a test: nothing here asserts."""

import asyncio
import os
import statistics
import time
import uuid
from pathlib import Path

from bench.results import save
from cognitest.infra.generation.engine import OfflineEngine
from cognitest.infra.generation.llm import LlmEngine
from cognitest.infra.requirements.convert import convert
from cognitest.infra.requirements.sniff import sniff
from cognitest.infra.requirements.split import split
from cognitest.infra.settings import LlmSettings
from cognitest.schemas.generation import FeatureJob, PlanJob, Requirement
from tests.support.fake_llm import FakeLlm

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"


def fifty_page_spec() -> bytes:
    """About 50 pages: 25 features of 12 requirements each, with limits, formats and criteria."""
    parts = ["# Retail platform specification\n"]
    for f in range(1, 26):
        parts.append(f"\n## {f}. Feature {f}: order management area {f}\n")
        parts.append((f"This chapter describes the behaviour of area {f} in detail for the release team, "
                      "including background, rationale and examples that are not requirements. ") * 30 + "\n")
        for r in range(1, 13):
            parts.append(f"FR-{f}.{r}: The system shall let a customer submit form {r} on the /area{f}/form{r} page "
                         f"with their email and password.\n")
            parts.append(f"The reference code must be between {r} and {r + 40} characters long.\n" if r % 3 == 0 else "")
            parts.append("The email address is required and must be a valid email address.\n" if r % 4 == 0 else "")
            if r % 5 == 0:
                parts.append("Given a signed-in customer\nWhen they submit the form\nThen a confirmation is shown\n")
    return "".join(parts).encode()


async def offline(data: bytes, rounds: int = 5) -> dict:
    engine = OfflineEngine()
    timings = []
    counts = (0, 0)
    for _ in range(rounds):
        started = time.perf_counter()
        parsed = split(convert(data, sniff(data, max_unzipped=10**8, max_ratio=100)))
        reqs = [Requirement(id=uuid.uuid4(), **r.model_dump()) for r in parsed]
        plan = await engine.plan(PlanJob(generation_id=uuid.uuid4(), project_id=uuid.uuid4(), title="spec", requirements=reqs))
        groups: dict[str, list[Requirement]] = {}
        for r in reqs:
            groups.setdefault(r.section or "General", []).append(r)
        cases = 0
        for name, group in groups.items():
            result = await engine.feature_cases(FeatureJob(generation_id=uuid.uuid4(), project_id=uuid.uuid4(),
                                                           feature=name, requirements=group))
            cases += len(result.cases)
        timings.append(time.perf_counter() - started)
        counts = (len(reqs), cases)
        assert plan.plan.name
    return {"seconds_median": statistics.median(timings), "requirements": counts[0], "cases": counts[1],
            "bytes": len(data)}


async def llm_overhead(calls: int = 30) -> dict:
    import litellm

    fake = FakeLlm()
    try:
        reqs = [Requirement(id=uuid.uuid4(), key=f"FR-{i}", title=f"r{i}", text=f"The system shall do thing {i}.")
                for i in range(5)]
        job = FeatureJob(generation_id=uuid.uuid4(), project_id=uuid.uuid4(), feature="f", requirements=reqs)
        engine = LlmEngine(LlmSettings(model="openai/gpt-4o-mini", api_base=fake.url, api_key="x", timeout=10))
        await engine.feature_cases(job)  # warm up both paths
        bare_messages = fake.requests[-1]["messages"]  # the very same prompt, sent without our engine
        await litellm.acompletion(model="openai/gpt-4o-mini", api_base=fake.url, api_key="x", messages=bare_messages)
        ours, bare = [], []
        for _ in range(calls):
            started = time.perf_counter()
            await engine.feature_cases(job)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            await litellm.acompletion(model="openai/gpt-4o-mini", api_base=fake.url, api_key="x", messages=bare_messages,
                                      response_format={"type": "json_object"})
            bare.append(time.perf_counter() - started)
        return {"ours_ms_median": statistics.median(ours) * 1000, "bare_ms_median": statistics.median(bare) * 1000,
                "overhead_ms": (statistics.median(ours) - statistics.median(bare)) * 1000, "calls": calls}
    finally:
        fake.close()


async def llm_generation_overhead(features: int = 5, per_feature: int = 4, rounds: int = 5) -> dict:
    """A whole generation's model work through our engine (plan + every feature: prompts,
    validation, tracing, gap filling, grounding) against the same calls made bare."""
    import litellm

    fake = FakeLlm()
    try:
        reqs = [Requirement(id=uuid.uuid4(), key=f"F{f}-{r}", title=f"r{f}.{r}", section=f"Feature {f}",
                            text=f"The system shall let a customer do thing {r} of feature {f} within {r + 2} seconds.")
                for f in range(features) for r in range(per_feature)]
        engine = LlmEngine(LlmSettings(model="openai/gpt-4o-mini", api_base=fake.url, api_key="x", timeout=10))
        generation = uuid.uuid4()

        async def ours() -> tuple[int, int]:
            plan = await engine.plan(PlanJob(generation_id=generation, project_id=generation, title="spec", requirements=reqs))
            results = [await engine.feature_cases(FeatureJob(
                generation_id=generation, project_id=generation, feature=f"Feature {f}",
                requirements=[r for r in reqs if r.section == f"Feature {f}"])) for f in range(features)]
            tokens = plan.usage.prompt_tokens + plan.usage.completion_tokens + sum(
                r.usage.prompt_tokens + r.usage.completion_tokens for r in results)
            return tokens, sum(len(r.cases) for r in results)
        await ours()  # warm up, and record the prompts the bare path sends
        prompts = [r["messages"] for r in fake.requests[-(features + 1):]]
        ours_s, bare_s, tokens, cases = [], [], 0, 0
        for _ in range(rounds):
            started = time.perf_counter()
            tokens, cases = await ours()
            ours_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            for messages in prompts:
                await litellm.acompletion(model="openai/gpt-4o-mini", api_base=fake.url, api_key="x", messages=messages,
                                          response_format={"type": "json_object"})
            bare_s.append(time.perf_counter() - started)
        return {"ours_ms_median": statistics.median(ours_s) * 1000, "bare_ms_median": statistics.median(bare_s) * 1000,
                "overhead_ms": (statistics.median(ours_s) - statistics.median(bare_s)) * 1000, "calls": features + 1,
                "cases": cases, "tokens_per_case": tokens / max(cases, 1)}
    finally:
        fake.close()


async def main() -> dict:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    docs = [(FIXTURES / n).read_bytes() for n in ("login_spec.md", "checkout_stories.feature", "stories.json", "stories.csv")]
    started = time.perf_counter()
    rounds = 50
    for _ in range(rounds):
        for data in docs:
            await offline(data, rounds=1)
    small = rounds * len(docs) / (time.perf_counter() - started)
    big = await offline(fifty_page_spec())
    over = await llm_overhead()
    whole = await llm_generation_overhead()
    result = {"offline_small_documents_per_second": small, "offline_50_pages": big, "llm": over,
              "llm_generation": whole}
    print("\nGeneration benchmark")
    print(f"  offline engine, small documents (parse + plan + cases)   {small:,.0f} documents/s")
    print(f"  offline engine, ~50-page specification ({big['bytes'] // 1024} KB)       "
          f"{big['seconds_median'] * 1000:,.0f} ms for {big['requirements']} requirements -> {big['cases']} cases")
    print(f"  LLM engine call (validate, trace, gap fill) vs bare litellm  {over['ours_ms_median']:.1f} ms vs "
          f"{over['bare_ms_median']:.1f} ms (overhead {over['overhead_ms']:.1f} ms)")
    print(f"  LLM generation ({whole['calls']} calls -> {whole['cases']} cases) vs the same bare calls  "
          f"{whole['ours_ms_median']:.1f} ms vs {whole['bare_ms_median']:.1f} ms (overhead {whole['overhead_ms']:.1f} ms, "
          f"{whole['tokens_per_case']:.0f} tokens per case)")
    save("generation", result)
    return result


if __name__ == "__main__":
    asyncio.run(main())
