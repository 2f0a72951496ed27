"""Prometheus metrics from every process: the API (per-route latency), the consumers (events
consumed, batch latency, lag), the worker (automation executions) and Temporal's SDK."""

import re
import uuid

import httpx

from tests.conftest import eventually
from tests.support.stack import PlatformStack


def value(text: str, name: str, **labels: str) -> float:
    """Sum of a metric's samples whose labels include the given ones."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        inside = line[line.index("{") + 1:line.rindex("}")] if "{" in line else ""  # values may hold braces
        sample_labels = dict(re.findall(r'(\w+)="([^"]*)"', inside))
        if all(sample_labels.get(k) == v for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def scrape(port: int) -> str:
    async with httpx.AsyncClient() as client:
        return (await client.get(f"http://127.0.0.1:{port}/metrics")).text


async def test_every_process_exposes_its_metrics(stack: PlatformStack, api: httpx.AsyncClient, project: dict) -> None:
    pid, m = project["id"], stack.settings.metrics
    for i in range(3):
        r = await api.post(f"/api/v1/projects/{pid}/cases", params={"wait": "true"}, json={"title": f"metric {i}"})
        assert r.status_code == 201
    assert (await api.get(f"/api/v1/projects/{pid}/cases/{uuid.uuid4()}")).status_code == 404
    automation = await api.post(f"/api/v1/projects/{pid}/automations", params={"wait": "true"}, json={
        "name": "tick", "graph": {"nodes": [{"id": "go", "type": "trigger.manual"},
                                            {"id": "wait", "type": "delay", "config": {"seconds": 0}}],
                                  "edges": [{"source": "go", "target": "wait"}]}})
    await api.post(f"/api/v1/projects/{pid}/automations/{automation.json()['id']}/run", json={})

    exposed = (await api.get("/metrics")).text
    route = "/api/v1/projects/{project_id}/cases"
    assert value(exposed, "cognitest_http_request_duration_seconds_count", method="POST", route=route, status="201") >= 3
    assert value(exposed, "cognitest_http_request_duration_seconds_count", route=route + "/{item_id}", status="404") >= 1
    assert value(exposed, "cognitest_events_published_total", type="case.created") >= 3

    async def consumed():
        text = await scrape(m.consumers_port)
        return text if value(text, "cognitest_events_consumed_total", consumer="projection", type="case.created") >= 3 \
            and "cognitest_consumer_pending_messages{" in text else None
    text = await eventually(consumed, timeout=30)
    assert value(text, "cognitest_consumer_batch_duration_seconds_count", consumer="projection") > 0

    async def executed():
        text = await scrape(m.worker_port)
        return text if value(text, "cognitest_automation_executions_total", status="completed") >= 1 else None
    await eventually(executed, timeout=30)
    sdk = await scrape(m.temporal_sdk_port)
    assert "temporal_" in sdk and value(sdk, "temporal_workflow_completed") + value(sdk, "temporal_request") > 0
