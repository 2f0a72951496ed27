"""The knowledge base in the running platform: a re-embed request rebuilds a project's points
from its events, and a changed embedding model gets a collection of its own, filled from the
whole stream when the consumers restart with it."""

import json
import os
from pathlib import Path

import httpx

from tests.conftest import eventually
from tests.integration.test_generation import generate, upload
from tests.integration.test_metrics import scrape, value
from tests.support.cli import cli_for
from tests.support.stack import PlatformStack

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
WORDLLAMA, HASHING = "knowledge_wordllama_l2_256_256_c1", "knowledge_hashing_v1_384_c1"


async def points(stack: PlatformStack, collection: str) -> float:
    try:
        exposed = await scrape(stack.settings.metrics.knowledge_port)
    except httpx.HTTPError:  # the restarted process is not serving yet
        return -1
    return value(exposed, "cognitest_knowledge_collection_points", collection=collection)


async def test_reembed_and_a_model_change(stack: PlatformStack, api: httpx.AsyncClient, project: dict) -> None:
    pid = project["id"]
    assert (await upload(api, pid, ("login_spec.md", (FIXTURES / "login_spec.md").read_bytes()))).status_code == 201
    assert (await generate(api, pid, engine="offline"))["status"] == "completed"
    await stack.wait_caught_up("knowledge", timeout=60)
    before = value(await scrape(stack.settings.metrics.knowledge_port), "cognitest_knowledge_points_total", kind="embedded")

    asked = cli_for(stack, timeout=60)("knowledge", "reembed", "-p", pid, "--reason", "test", "--json")
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["requested"] == [pid]
    cases = (await api.get(f"/api/v1/projects/{pid}/cases", params={"limit": 1})).json()["total"]

    async def rebuilt():  # every case and requirement of the project embedded again
        now = value(await scrape(stack.settings.metrics.knowledge_port), "cognitest_knowledge_points_total", kind="embedded")
        return now - before >= cases + 7
    assert await eventually(rebuilt, timeout=60)

    # another embedding model: its own collection, filled from the stream on start
    await stack.wait_caught_up("knowledge", timeout=60)
    os.environ["COGNITEST_KNOWLEDGE__EMBEDDER"] = "hashing"
    try:
        await stack.restart("knowledge")

        async def filled():
            ours, theirs = await points(stack, WORDLLAMA), await points(stack, HASHING)
            return ours > 0 and ours == theirs
        assert await eventually(filled, timeout=90, interval=1)
    finally:
        del os.environ["COGNITEST_KNOWLEDGE__EMBEDDER"]
        await stack.restart("knowledge")
    await stack.wait_ready()
