"""The read cache (NATS key-value): list answers are served from it, and a write acknowledged
with ?wait=true is visible in the very next read (the projection invalidates before it answers)."""

import asyncio

import httpx

from tests.conftest import bootstrapped
from tests.integration.test_metrics import value


async def hits(api: httpx.AsyncClient, result: str) -> float:
    return value((await api.get("/metrics")).text, "cognitest_cache_requests_total", resource="cases", result=result)


async def test_lists_are_cached_and_never_stale_after_a_waited_write(api: httpx.AsyncClient, project: dict) -> None:
    pid = project["id"]
    await bootstrapped(api, pid)  # the bootstrap's own events change the project's lists
    await asyncio.sleep(0.5)
    listing = f"/api/v1/projects/{pid}/cases"
    first = (await api.get(listing, params={"sort": "title"})).json()
    hits_before = await hits(api, "hit")
    assert (await api.get(listing, params={"sort": "title"})).json() == first
    assert await hits(api, "hit") == hits_before + 1
    for i in range(5):  # every write is visible in the next read, cached or not
        created = await api.post(listing, params={"wait": "true"}, json={"title": f"cached {i}"})
        assert created.status_code == 201
        titles = [c["title"] for c in (await api.get(listing, params={"sort": "title"})).json()["items"]]
        assert f"cached {i}" in titles
    case_id = created.json()["id"]
    await api.patch(f"{listing}/{case_id}", params={"wait": "true"}, json={"title": "renamed"})
    titles = [c["title"] for c in (await api.get(listing, params={"sort": "title"})).json()["items"]]
    assert "renamed" in titles and "cached 4" not in titles
    await api.delete(f"{listing}/{case_id}", params={"wait": "true"})
    assert "renamed" not in [c["title"] for c in (await api.get(listing, params={"sort": "title"})).json()["items"]]
    other = (await api.get(listing, params={"sort": "-title", "limit": 2})).json()  # another query, its own entry
    assert [c["title"] for c in other["items"]] == ["cached 3", "cached 2"]
