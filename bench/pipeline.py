"""Event pipeline throughput and latency: publish -> JetStream -> projection -> PostgreSQL,
side by side with raw nats-py JetStream publish + durable pull consume of the same messages,
in the same run on the same nats-server. Also the memory of the whole embedded stack.

    .venv/bin/python -m bench.pipeline [--events 20000] [--rate 1000] [--seconds 10]

Prints a table and writes bench/results/pipeline.json. Not a test: nothing here asserts."""

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import psutil
from nats.js.api import ConsumerConfig, StreamConfig
from sqlalchemy import func, select, text

from bench.results import save
from cognitest.infra.db import models as m
from cognitest.schemas import new_event
from cognitest.schemas.events.testing import CaseCreated
from tests.support.stack import DURABLES, PlatformStack

RAW_STREAM = "BENCH_RAW"


def events_for(project_id: str, n: int) -> list:
    return [new_event(CaseCreated(case_id=uuid.uuid4(), title=f"bench case {i}", priority="high",
                                  steps=[{"action": "open", "expected": "shown"}], tags=["bench"]),
                      project_id=project_id) for i in range(n)]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def raw_throughput(stack: PlatformStack, bodies: list[bytes]) -> dict:
    """The same messages through bare nats-py: pipelined publish with message ids, and a
    durable pull consumer that fetches batches and acks each message, running concurrently;
    timed from the first publish to the last ack, like the pipeline below."""
    js = stack.publisher.js
    try:
        await js.delete_stream(RAW_STREAM)
    except Exception:  # noqa: BLE001  not there yet
        pass
    await js.add_stream(StreamConfig(name=RAW_STREAM, subjects=["bench.raw.>"], duplicate_window=120))
    sub = await js.pull_subscribe("bench.raw.>", durable="raw", stream=RAW_STREAM,
                                  config=ConsumerConfig(max_ack_pending=5000, ack_wait=30))
    consumed = 0

    async def consume() -> None:
        nonlocal consumed
        while consumed < len(bodies):
            try:
                msgs = await sub.fetch(1000, timeout=0.05)
            except TimeoutError:
                continue
            for msg in msgs:
                await msg.ack()
            consumed += len(msgs)

    started = time.perf_counter()
    consumer = asyncio.create_task(consume())
    futures = [await js.publish_async("bench.raw.x", body, headers={"Nats-Msg-Id": str(uuid.uuid4())}) for body in bodies]
    await asyncio.gather(*futures)
    published = time.perf_counter() - started
    await consumer
    total = time.perf_counter() - started
    # drain-only: the same messages again, consumed after they are all in the stream
    drain = await js.pull_subscribe("bench.raw.>", durable="raw-drain", stream=RAW_STREAM,
                                    config=ConsumerConfig(max_ack_pending=5000, ack_wait=30))
    got, started = 0, time.perf_counter()
    while got < len(bodies):
        msgs = await drain.fetch(1000, timeout=5)
        for msg in msgs:
            await msg.ack()
        got += len(msgs)
    drained = time.perf_counter() - started
    await js.delete_stream(RAW_STREAM)
    return {"publish_per_s": len(bodies) / published, "end_to_end_per_s": len(bodies) / total,
            "drain_per_s": len(bodies) / drained}


async def applied_count(stack: PlatformStack, project_id: str) -> int:
    async with stack.sessions()() as session:
        return int(await session.scalar(select(func.count()).select_from(m.AppliedEvent)
                                        .where(m.AppliedEvent.project_id == uuid.UUID(project_id))))


async def pipeline_throughput(stack: PlatformStack, project_id: str, n: int) -> dict:
    events = events_for(project_id, n)
    base = await applied_count(stack, project_id)
    started = time.perf_counter()
    for i in range(0, n, 2000):
        await stack.publisher.publish_many(events[i:i + 2000])
    published = time.perf_counter() - started
    while await applied_count(stack, project_id) < base + n:
        await asyncio.sleep(0.05)
    total = time.perf_counter() - started
    return {"publish_per_s": n / published, "end_to_end_per_s": n / total}


async def pipeline_latency(stack: PlatformStack, project_id: str, rate: int, seconds: float) -> dict:
    """Publish at a fixed rate; latency = applied_at (PostgreSQL clock) - event time."""
    interval = 1 / rate
    started = time.perf_counter()
    tasks = []
    events = []
    for i in range(int(rate * seconds)):
        delay = started + i * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        event = events_for(project_id, 1)[0]  # stamped now, when it is published
        events.append(event)
        tasks.append(asyncio.create_task(stack.publisher.publish(event)))
    await asyncio.gather(*tasks)
    ids = [e.id for e in events]
    times = {e.id: e.time for e in events}
    while True:
        async with stack.sessions()() as session:
            rows = (await session.execute(select(m.AppliedEvent.event_id, m.AppliedEvent.applied_at)
                                          .where(m.AppliedEvent.event_id.in_(ids)))).all()
        if len(rows) == len(ids):
            break
        await asyncio.sleep(0.1)
    latencies = [(applied - times[eid]).total_seconds() * 1000 for eid, applied in rows]
    return {"rate": rate, "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99),
            "max_ms": max(latencies), "mean_ms": statistics.mean(latencies)}


async def raw_latency(stack: PlatformStack, rate: int, seconds: float) -> dict:
    js = stack.publisher.js
    try:
        await js.delete_stream(RAW_STREAM)
    except Exception:  # noqa: BLE001
        pass
    await js.add_stream(StreamConfig(name=RAW_STREAM, subjects=["bench.raw.>"]))
    sub = await js.pull_subscribe("bench.raw.>", durable="rawlat", stream=RAW_STREAM)
    n = int(rate * seconds)
    latencies: list[float] = []

    async def consume() -> None:
        while len(latencies) < n:
            try:
                msgs = await sub.fetch(500, timeout=1)
            except Exception:  # noqa: BLE001  fetch timeout: keep polling
                continue
            now = time.time()
            for msg in msgs:
                latencies.append((now - float(msg.data)) * 1000)
                await msg.ack()

    consumer = asyncio.create_task(consume())
    started = time.perf_counter()
    for i in range(n):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await js.publish("bench.raw.x", str(time.time()).encode())
    await consumer
    await js.delete_stream(RAW_STREAM)
    return {"rate": rate, "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99),
            "max_ms": max(latencies), "mean_ms": statistics.mean(latencies)}


def stack_memory_mb(stack: PlatformStack) -> dict:
    """RSS of every process of the stack, children included (PostgreSQL backends...)."""
    out = {}
    for name, running in stack.supervisor.running.items():
        try:
            root = psutil.Process(running.process.pid)
            procs = [root, *root.children(recursive=True)]
            out[name] = sum(p.memory_info().rss for p in procs if p.is_running()) / 2**20
        except psutil.NoSuchProcess:
            out[name] = 0.0
    out["total"] = sum(out.values())
    return out


async def settled(stack: PlatformStack) -> None:
    """Until every durable consumer has caught up, so one phase's leftovers do not load the next."""
    for durable in sorted(DURABLES):
        await stack.wait_caught_up(durable, timeout=600)


class PeakMemory:
    """Samples the stack's memory while work runs: the highest RSS of each process (and of the
    whole stack) seen under load."""

    def __init__(self, stack: PlatformStack, every: float = 0.25) -> None:
        self.stack, self.every, self.peak = stack, every, {}
        self._task: asyncio.Task | None = None

    async def _sample(self) -> None:
        while True:
            for name, mb in (await asyncio.to_thread(stack_memory_mb, self.stack)).items():
                self.peak[name] = max(self.peak.get(name, 0.0), mb)
            await asyncio.sleep(self.every)

    async def __aenter__(self) -> dict:
        self._task = asyncio.create_task(self._sample())
        return self.peak

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def main(n: int, rate: int, seconds: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        stack = PlatformStack(Path(tmp))
        await stack.start_all()
        try:
            async with stack.sessions()() as session, session.begin():
                await session.execute(text("SELECT 1"))
            project = str(uuid.uuid4())
            from cognitest.schemas.events.projects import ProjectCreated

            await stack.publisher.publish(new_event(ProjectCreated(project_id=project, name="bench", owner_id="bench"),
                                                    project_id=project))
            await asyncio.sleep(3)
            idle = stack_memory_mb(stack)
            bodies = [e.model_dump_json().encode() for e in events_for(project, n)]
            raw = await raw_throughput(stack, bodies)
            async with PeakMemory(stack) as burst:
                pipe = await pipeline_throughput(stack, project, n)
            loaded = stack_memory_mb(stack)
            await settled(stack)  # background work of the burst (the knowledge base) done before the next phase
            second = stack.spec("consumers")  # scale out: a second consumers process on the same durables
            second.name = "consumers-2"
            await stack.supervisor.start(second)
            await asyncio.sleep(3)
            pipe_two = await pipeline_throughput(stack, project, n)
            await stack.supervisor.stop("consumers-2")
            await settled(stack)
            raw_lat = await raw_latency(stack, rate, seconds)
            async with PeakMemory(stack) as sustained:
                pipe_lat = await pipeline_latency(stack, project, rate, seconds)
        finally:
            await stack.close()
    result = {
        "events": n,
        "raw": raw, "pipeline": pipe,
        "ratio_end_to_end_vs_raw": pipe["end_to_end_per_s"] / raw["end_to_end_per_s"],
        "ratio_end_to_end_vs_raw_drain": pipe["end_to_end_per_s"] / raw["drain_per_s"],
        "latency": {"raw": raw_lat, "pipeline": pipe_lat},
        "memory_mb": {"idle": idle, "peak_under_burst": burst, "peak_under_sustained_load": sustained,
                      "after_load": loaded},
        "scaling": {"one_consumers_process_per_s": pipe["end_to_end_per_s"],
                    "two_consumers_processes_per_s": pipe_two["end_to_end_per_s"],
                    "ratio": pipe_two["end_to_end_per_s"] / pipe["end_to_end_per_s"]},
    }
    print_table(result)
    save("pipeline", result)
    return result


def print_table(r: dict) -> None:
    rows = [
        ("raw nats-py publish (pipelined)", f"{r['raw']['publish_per_s']:,.0f} msg/s"),
        ("raw nats-py publish -> durable pull consume + ack", f"{r['raw']['end_to_end_per_s']:,.0f} msg/s"),
        ("cognitest publish (pipelined, Nats-Msg-Id)", f"{r['pipeline']['publish_per_s']:,.0f} events/s"),
        ("cognitest publish -> projected in PostgreSQL", f"{r['pipeline']['end_to_end_per_s']:,.0f} events/s"),
        ("raw nats-py drain of a full stream (consume + ack only)", f"{r['raw']['drain_per_s']:,.0f} msg/s"),
        ("ratio: projected / raw publish->consume", f"{r['ratio_end_to_end_vs_raw']:.2f}"),
        ("ratio: projected / raw drain", f"{r['ratio_end_to_end_vs_raw_drain']:.2f}"),
        (f"raw latency at {r['latency']['raw']['rate']}/s p50 / p99",
         f"{r['latency']['raw']['p50_ms']:.1f} / {r['latency']['raw']['p99_ms']:.1f} ms"),
        (f"pipeline latency at {r['latency']['pipeline']['rate']}/s p50 / p99",
         f"{r['latency']['pipeline']['p50_ms']:.1f} / {r['latency']['pipeline']['p99_ms']:.1f} ms"),
        ("stack memory idle", f"{r['memory_mb']['idle']['total']:,.0f} MB"),
        ("stack memory, peak during the burst", f"{r['memory_mb']['peak_under_burst']['total']:,.0f} MB"),
        (f"stack memory, peak at {r['latency']['pipeline']['rate']}/s sustained",
         f"{r['memory_mb']['peak_under_sustained_load']['total']:,.0f} MB"),
        ("stack memory after load", f"{r['memory_mb']['after_load']['total']:,.0f} MB"),
        ("projected with 2 consumers processes (ratio to 1)",
         f"{r['scaling']['two_consumers_processes_per_s']:,.0f} events/s ({r['scaling']['ratio']:.2f})"),
    ]
    width = max(len(a) for a, _ in rows)
    print(f"\nEvent pipeline benchmark ({r['events']:,} events)")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    print("  memory by process (peak during the burst): " + ", ".join(
        f"{k} {v:,.0f} MB" for k, v in r["memory_mb"]["peak_under_burst"].items() if k != "total"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.rate, args.seconds))
