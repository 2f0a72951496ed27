"""A real three-node JetStream cluster, proven here: three nats-server processes on 127.0.0.1
from the same binary, streams with three replicas, an API, two projection processes and two
execution processes (running two API-collection runs during the burst). Clients
create cases through the API (each with its own Idempotency-Key, retrying 503s as the answer
says) while the stream leader is killed and restarted and a projection process is killed:
no 500, no connection reset, every acknowledged case present exactly once."""

import asyncio
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from cognitest.infra.bus.auth import ROLES, authorization_block, connect_options, password_for
from cognitest.infra.bus.connection import connect
from cognitest.infra.db.engine import make_engine
from cognitest.infra.db.migrate import upgrade
from cognitest.infra.embedded.services import ServiceSpec, _tool, platform_spec
from cognitest.infra.embedded.supervisor import free_port
from cognitest.infra.settings import Settings
from cognitest.schemas.subjects import EVENTS_STREAM
from tests.support.demo_app import DemoApp
from tests.support.fault_report import FaultReport
from tests.support.stack import ADMIN_TOKEN, PlatformStack


def node_spec(data: Path, name: str, client: int, route: int, peers: list[int], settings: Settings) -> ServiceSpec:
    store = data / name
    store.mkdir(parents=True, exist_ok=True)
    conf = data / f"{name}.conf"
    passwords = {role: password_for(settings, role) for role in ROLES}
    conf.write_text(f'jetstream {{\n  store_dir: "{store}"\n}}\n' + authorization_block(passwords))
    conf.chmod(0o600)
    routes = ",".join(f"nats://127.0.0.1:{p}" for p in peers)
    return ServiceSpec(name=name, port=client, argv=[
        _tool("nats-server"), "-c", str(conf), "-a", "127.0.0.1", "-p", str(client), "--server_name", name,
        "--cluster_name", "cognitest-test", "--cluster", f"nats://127.0.0.1:{route}", "--routes", routes])


def process_spec(name: str, module: str, settings: Settings, role: str, *args: str, port: int | None = None) -> ServiceSpec:
    spec = platform_spec(name, module, settings, *args, port=port, ready_path="/healthz" if port else None)
    spec.env.update({"COGNITEST_NATS__USER": role, "COGNITEST_NATS__PASSWORD": password_for(settings, role),
                     "COGNITEST_BUS__REPLICAS": "3", "COGNITEST_CACHE__ENABLED": "false",
                     "COGNITEST_METRICS__CONSUMERS_PORT": "0"})
    return spec


@pytest.mark.slow
async def test_leader_kills_on_a_three_node_cluster_lose_nothing_and_answer_no_500(
        stack: PlatformStack, fault_report: FaultReport, tmp_path: Path, demo: DemoApp) -> None:
    base = stack.settings
    clients = {f"n{i}": free_port() for i in (1, 2, 3)}
    routes = {name: free_port() for name in clients}
    urls = ",".join(f"nats://127.0.0.1:{p}" for p in clients.values())
    database = f"cluster_{uuid.uuid4().hex[:8]}"
    settings = base.model_copy(update={
        "nats": base.nats.model_copy(update={"url": urls}),
        "database": base.database.model_copy(update={"name": database}),
        "http": base.http.model_copy(update={"port": free_port()}),
    })
    settings.database._data_dir = base.data_dir  # noqa: SLF001  the same server, its own database
    supervisor = stack.supervisor
    nodes = {name: node_spec(tmp_path, name, port, routes[name], [routes[o] for o in clients if o != name], base)
             for name, port in clients.items()}
    started: list[str] = []
    nc = None
    try:
        for spec in nodes.values():
            await supervisor.start(spec)
            started.append(spec.name)
        await upgrade(settings.database.effective_url)
        nc = await connect(urls, "cluster-test", auth=connect_options(base, "admin"), retry_on_start=True)
        js = nc.jetstream()
        for _ in range(150):  # the cluster has elected its JetStream meta leader
            try:
                await js.account_info()
                break
            except Exception:  # noqa: BLE001
                await asyncio.sleep(0.2)
        processes = [process_spec("cluster-api", "cognitest.producers.api", settings, "api", port=settings.http.port),
                     process_spec("cluster-projection-1", "cognitest.consumers", settings, "consumers", "run", "--only", "projection"),
                     process_spec("cluster-projection-2", "cognitest.consumers", settings, "consumers", "run", "--only", "projection"),
                     process_spec("cluster-execution-1", "cognitest.consumers", settings, "consumers", "run", "--only", "execution"),
                     process_spec("cluster-execution-2", "cognitest.consumers", settings, "consumers", "run", "--only", "execution")]
        for spec in processes:
            await supervisor.start(spec)
            started.append(spec.name)
        api = httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http.port}",
                                headers={"authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60)
        try:
            for _ in range(100):  # the API declared the replicated streams
                try:
                    if (await js.stream_info(EVENTS_STREAM)).config.num_replicas == 3:
                        break
                except Exception:  # noqa: BLE001
                    pass
                await asyncio.sleep(0.2)
            project = (await api.post("/api/v1/projects", params={"wait": "true"}, json={"name": "cluster"})).json()
            pid = project["id"]
            collection = (await api.post(f"/api/v1/projects/{pid}/collections", params={"wait": "true"}, json={
                "name": "smoke", "environment": {"base_url": demo.url},
                "requests": [{"name": f"products {i}", "method": "GET", "url": "/api/products", "assert": {"status": 200}}
                             for i in range(3)]})).json()
            statuses: dict[int, int] = {}
            resets: list[str] = []
            acked: set[str] = set()
            degraded: list[bool] = []
            stop = asyncio.Event()

            async def writer(index: int) -> None:
                n = 0
                while not stop.is_set():
                    key, title = f"w{index}-{n}", f"cluster w{index}-{n}"
                    for _attempt in range(6):  # a client does what the 503 says: retry with the same key
                        try:
                            r = await api.post(f"/api/v1/projects/{pid}/cases", json={"title": title},
                                               headers={"idempotency-key": key})
                        except httpx.TransportError as exc:
                            resets.append(type(exc).__name__)
                            await asyncio.sleep(0.5)
                            continue
                        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                        if r.status_code == 202:
                            acked.add(title)
                            break
                        await asyncio.sleep(float(r.headers.get("retry-after", "1")))
                    n += 1

            async def watch_status() -> None:
                while not stop.is_set():
                    try:
                        degraded.append(not (await api.get("/api/v1/status")).json()["ok"])
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.5)

            tasks = [asyncio.create_task(writer(i)) for i in range(8)] + [asyncio.create_task(watch_status())]
            await asyncio.sleep(2)
            runs = []  # two runs for the two execution processes, requested during the burst
            for n in range(2):
                r = await api.post(f"/api/v1/projects/{pid}/runs", json={"collection_id": collection["id"]},
                                   headers={"idempotency-key": f"run-{n}"})
                assert r.status_code == 202, r.text
                runs.append(r.json()["resource_id"])
            await asyncio.sleep(1)
            leader = (await js.stream_info(EVENTS_STREAM)).cluster.leader
            killed_at = time.monotonic()
            supervisor.kill(leader)  # the stream leader dies mid-burst: an election follows
            await asyncio.sleep(6)
            supervisor.kill("cluster-projection-1")  # and one projection process
            await asyncio.sleep(4)
            await supervisor.stop(leader)
            await supervisor.start(nodes[leader])  # the old leader comes back and catches up
            await supervisor.stop("cluster-projection-1")
            await supervisor.start(processes[1])
            await asyncio.sleep(3)
            stop.set()
            await asyncio.gather(*tasks)
            # everything acknowledged is applied, once
            engine = make_engine(settings.database.effective_url)
            try:
                deadline = time.monotonic() + 120
                while True:
                    async with engine.connect() as conn:
                        rows = (await conn.execute(text(
                            "SELECT title, count(*) FROM test_cases WHERE project_id = :p GROUP BY title"),
                            {"p": pid})).all()
                    present = {title: count for title, count in rows}
                    if acked <= present.keys() or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(1)
            finally:
                await engine.dispose()
            for run_id in runs:  # each run ends, each of its cases once
                async def ended():  # noqa: B023
                    got = await api.get(f"/api/v1/projects/{pid}/runs/{run_id}")  # noqa: B023
                    return got.json() if got.status_code == 200 and got.json()["status"] == "completed" else None
                deadline = time.monotonic() + 120
                while (run := await ended()) is None:
                    assert time.monotonic() < deadline, f"run {run_id} did not complete"
                    await asyncio.sleep(1)
                results = (await api.get(f"/api/v1/projects/{pid}/runs/{run_id}/results", params={"history": "true"})).json()
                assert run["totals"]["passed"] == 3 and len(results["items"]) == 3, results
            lost = len(acked - present.keys())
            duplicated = sum(1 for count in present.values() if count > 1)
            fault_report.add("3-node cluster: kill stream leader + projection", len(acked), len(acked) - lost,
                             duplicated, lost, time.monotonic() - killed_at,
                             f"HTTP {dict(sorted(statuses.items()))}, resets {len(resets)}, "
                             f"status degraded {sum(degraded)}/{len(degraded)} polls, leader {leader}")
            assert len(acked) > 50, statuses
            assert lost == 0 and duplicated == 0
            assert not [code for code in statuses if code >= 500 and code != 503], statuses
            assert resets == [], resets
        finally:
            await api.aclose()
    finally:
        if nc is not None:
            await nc.close()
        for name in reversed(started):
            await supervisor.stop(name)
