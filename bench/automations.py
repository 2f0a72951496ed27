"""Automation benchmark: executions started and completed per second on the embedded Temporal dev
server, our graph interpreter (AutomationRun) against a hand-written workflow calling the same
activities in the same order, in the same run. Activities are in-process no-ops, so the numbers
compare the workflows' own cost (and Temporal's), not Slack's.

    .venv/bin/python -m bench.automations

Prints a table and writes bench/results/automations.json. Not a test: nothing here asserts."""

import asyncio
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from bench.automation_baseline import HandWrittenAutomation
from bench.results import save
from cognitest.infra.temporal import connect_temporal
from cognitest.schemas.automation.execution import Definition, ExecutionInput, ExecutionRecord, StepJob, StepRecord
from cognitest.workflows.automation.workflow import AutomationRun
from tests.support.stack import PlatformStack

GRAPH = {"nodes": [{"id": "start", "type": "trigger.manual"},
                   {"id": "check", "type": "condition", "config": {"left": "{{ trigger.n }}", "op": ">", "right": 0}},
                   {"id": "call", "type": "http_request", "config": {"url": "http://example.invalid/{{ trigger.n }}"}},
                   {"id": "notify", "type": "slack", "config": {"text": "n={{ trigger.n }} status {{ nodes.call.output.status }}"}}],
         "edges": [{"source": "start", "target": "check"}, {"source": "check", "target": "call", "label": "true"},
                   {"source": "call", "target": "notify"}]}


@activity.defn(name="load_definition")
async def load_definition(data: ExecutionInput) -> Definition:
    return Definition(workflow_id=data.workflow_id, name="bench", version=1, enabled=True, graph=GRAPH)


@activity.defn(name="record_start")
async def record_start(record: ExecutionRecord) -> None:
    return None


@activity.defn(name="record_step")
async def record_step(record: StepRecord) -> None:
    return None


@activity.defn(name="record_finish")
async def record_finish(record: ExecutionRecord) -> None:
    return None


@activity.defn(name="automation_http_request")
async def http_request(job: StepJob) -> dict[str, Any]:
    return {"status": 200, "body": {}}


@activity.defn(name="automation_slack")
async def slack(job: StepJob) -> dict[str, Any]:
    return {"status_code": 200}


async def throughput(client: Client, workflow: str, n: int, queue: str) -> dict[str, float]:
    data = [ExecutionInput(project_id=uuid.uuid4(), workflow_id=uuid.uuid4(), trigger="manual", input={"n": i + 1})
            for i in range(n)]
    started = time.perf_counter()
    handles = await asyncio.gather(*[client.start_workflow(workflow, d, id=f"bench-{workflow}-{uuid.uuid4()}", task_queue=queue)
                                     for d in data])
    await asyncio.gather(*[h.result() for h in handles])
    seconds = time.perf_counter() - started
    return {"executions": n, "seconds": round(seconds, 2), "per_second": round(n / seconds, 1)}


async def main(n: int = 200) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        stack = PlatformStack(Path(tmp))
        await stack.start("temporal")
        try:
            client = await connect_temporal(stack.settings)
            queue = "bench-automations"
            async with Worker(client, task_queue=queue, workflows=[AutomationRun, HandWrittenAutomation],
                              activities=[load_definition, record_start, record_step, record_finish, http_request, slack],
                              max_concurrent_activities=64):
                await throughput(client, "HandWrittenAutomation", 20, queue)  # warm up both
                await throughput(client, "AutomationRun", 20, queue)
                baseline = await throughput(client, "HandWrittenAutomation", n, queue)
                ours = await throughput(client, "AutomationRun", n, queue)
        finally:
            await stack.supervisor.stop_all()
    result = {"hand_written": baseline, "interpreter": ours,
              "ratio": round(ours["per_second"] / baseline["per_second"], 3)}
    print(f"{'workflow':<22}{'executions':>12}{'seconds':>10}{'per second':>12}")
    for name, row in (("hand-written", baseline), ("AutomationRun", ours)):
        print(f"{name:<22}{row['executions']:>12}{row['seconds']:>10}{row['per_second']:>12}")
    print(f"interpreter / hand-written throughput: {result['ratio']}")
    save("automations", result)
    return result


if __name__ == "__main__":
    asyncio.run(main())
