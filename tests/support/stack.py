"""The test session's platform: the same embedded services and processes `cognitest up` runs,
on free ports in a temporary data directory."""

import asyncio
import os
import secrets
from pathlib import Path

import httpx
from nats.js.api import ConsumerInfo
from sqlalchemy.ext.asyncio import AsyncEngine

from cognitest.infra.bus.auth import connect_options
from cognitest.infra.bus.connection import connect
from cognitest.infra.bus.publisher import EventPublisher
from cognitest.infra.db.engine import make_engine, session_factory
from cognitest.infra.db.migrate import upgrade
from cognitest.infra.embedded.services import ServiceSpec, consumer_specs, nats_spec, platform_spec, temporal_spec
from cognitest.infra.embedded.supervisor import Supervisor, free_port
from cognitest.infra.settings import Settings
from cognitest.schemas.subjects import EVENTS_STREAM
from tests.support.tools import TOOLS

# Short delays so redelivery and dead-lettering happen within a test's patience.
BUS_ENV = {
    "COGNITEST_BUS__ACK_WAIT": "4",
    "COGNITEST_BUS__MAX_DELIVER": "5",
    "COGNITEST_BUS__RETRY_DELAY": "0.2",
    "COGNITEST_BUS__RETRY_DELAY_MAX": "2",
    "COGNITEST_HTTP__WAIT_TIMEOUT": "15",
    "COGNITEST_LOG_FORMAT": "json",
    "COGNITEST_REQUIREMENTS__MAX_UPLOAD_BYTES": "2000000",
    "COGNITEST_LLM__TIMEOUT": "3",
    # the fake model's scripted answers belong to the generation tests; triage uses the rules here
    # (its model path is tested against the fake model directly)
    "COGNITEST_LLM__REMEDIATION": "false",
    # the demo apps the runs drive listen on 127.0.0.1 (projects may still refuse it: tests of the guard do)
    "COGNITEST_EXECUTION__ALLOW_PRIVATE_TARGETS": "true",
    # every test signs in from 127.0.0.1: the per-address limit would throttle the suite itself
    # (the per-account limit is what the tests check)
    "COGNITEST_AUTH__LOGIN_ATTEMPTS_PER_ADDRESS": "100000",
}
ADMIN_TOKEN = "ct_admin_" + secrets.token_urlsafe(24)


DURABLES = {"projection", "project-bootstrap", "requirements", "generation", "execution", "automations", "triage", "knowledge",
            "issue-sync", "alerting", "security"}


class PlatformStack:
    def __init__(self, data_dir: Path, llm_url: str | None = None) -> None:
        os.environ.update(BUS_ENV)
        os.environ["COGNITEST_AUTH__ADMIN_TOKEN"] = ADMIN_TOKEN
        if llm_url:  # the worker's LLM engine talks to a local fake provider; tests pick the engine
            os.environ.update({"COGNITEST_LLM__MODEL": "openai/gpt-4o-mini", "COGNITEST_LLM__API_BASE": llm_url,
                               "COGNITEST_LLM__API_KEY": "test", "COGNITEST_LLM__FALLBACKS": '["openai/gpt-4o"]'})
        fixtures = data_dir / "fixtures"  # the only files upload steps may send
        fixtures.mkdir(parents=True, exist_ok=True)
        (fixtures / "sample.txt").write_text("hello from the fixtures\n")
        os.environ.update({
            "COGNITEST_EXECUTION__FIXTURES_DIR": str(fixtures),
            # Postman's runtime: the platform installs it there at first need (kept between local runs)
            "COGNITEST_EXECUTION__POSTMAN_SANDBOX_DIR": str(TOOLS / "postman"),
            "COGNITEST_DATA_DIR": str(data_dir),
            "COGNITEST_NATS__PORT": str(free_port()),
            "COGNITEST_NATS__MONITOR_PORT": str(free_port()),
            "COGNITEST_DATABASE__PORT": str(free_port()),
            "COGNITEST_TEMPORAL__PORT": str(free_port()),
            "COGNITEST_TEMPORAL__UI_PORT": str(free_port()),
            "COGNITEST_HTTP__PORT": str(free_port()),
            "COGNITEST_METRICS__CONSUMERS_PORT": str(free_port()),
            "COGNITEST_METRICS__WORKER_PORT": str(free_port()),
            "COGNITEST_METRICS__TEMPORAL_SDK_PORT": str(free_port()),
            "COGNITEST_METRICS__KNOWLEDGE_PORT": str(free_port()),
        })
        for key in ("COGNITEST_NATS__URL", "COGNITEST_DATABASE__URL", "COGNITEST_TEMPORAL__ADDRESS", "COGNITEST_HTTP__URL"):
            os.environ.pop(key, None)
        self.settings = Settings()
        self.supervisor = Supervisor(echo=bool(os.environ.get("COGNITEST_TEST_ECHO")))
        self.engine: AsyncEngine | None = None
        self.publisher: EventPublisher | None = None

    @property
    def api_url(self) -> str:
        return self.settings.http.effective_url

    @property
    def headers(self) -> dict[str, str]:
        """The instance admin's credentials (tests acting as a role get their own token)."""
        return {"authorization": f"Bearer {ADMIN_TOKEN}"}

    def client(self, token: str | None = None, **kwargs) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
        headers = {"authorization": f"Bearer {token}"} if token else self.headers
        return httpx.AsyncClient(base_url=self.api_url, headers=headers, **{"timeout": 30, **kwargs})

    def spec(self, name: str) -> ServiceSpec:
        s = self.settings
        if name == "nats":
            return nats_spec(s)
        if name == "postgres":
            from cognitest.infra.embedded.postgres import postgres_spec

            return postgres_spec(s)
        if name == "temporal":
            return temporal_spec(s, ui=False)
        if name == "api":
            return platform_spec("api", "cognitest.producers.api", s, port=s.http.port, ready_path="/healthz")
        if name in ("consumers", "knowledge"):
            return next(spec for spec in consumer_specs(s) if spec.name == name)
        if name == "worker":
            return platform_spec("worker", "cognitest.workflows", s)
        raise KeyError(name)

    async def start(self, *names: str) -> None:
        for name in names:
            await self.supervisor.start(self.spec(name))

    async def restart(self, name: str) -> None:
        await self.supervisor.stop(name)
        await self.start(name)

    async def start_all(self) -> None:
        await self.start("nats", "postgres", "temporal")
        await upgrade(self.settings.database.effective_url)
        await self.start("api", "consumers", "knowledge", "worker")
        self.engine = make_engine(self.settings.database.effective_url)
        nc = await connect(self.settings.nats.effective_url, "tests", auth=connect_options(self.settings, "admin"))
        self.publisher = EventPublisher(nc)
        await self.wait_ready()

    def sessions(self):  # type: ignore[no-untyped-def]
        assert self.engine is not None
        return session_factory(self.engine)

    async def wait_ready(self, timeout: float = 60) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        async with httpx.AsyncClient(base_url=self.api_url) as client:
            while True:
                try:
                    response = await client.get("/readyz")
                    if response.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError("platform not ready")
                await asyncio.sleep(0.3)
        assert self.publisher is not None
        while {c.name for c in await self.publisher.js.consumers_info(EVENTS_STREAM)} < DURABLES:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the consumers did not declare their durable consumers")
            await asyncio.sleep(0.2)

    async def consumer_info(self, durable: str = "projection") -> ConsumerInfo:
        assert self.publisher is not None
        return await self.publisher.js.consumer_info(EVENTS_STREAM, durable)

    async def wait_caught_up(self, durable: str = "projection", timeout: float = 60) -> None:
        """Until the consumer has nothing pending and nothing awaiting acknowledgement."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            info = await self.consumer_info(durable)
            if info.num_pending == 0 and info.num_ack_pending == 0:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{durable} still has {info.num_pending} pending, {info.num_ack_pending} unacked")
            await asyncio.sleep(0.2)

    async def close(self) -> None:
        if self.publisher is not None:
            await self.publisher._nc.close()  # noqa: SLF001
        if self.engine is not None:
            await self.engine.dispose()
        await self.supervisor.stop_all()
