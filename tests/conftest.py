import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support.demo_app import DemoApp
from tests.support.fake_llm import FakeLlm
from tests.support.fake_services import FakeServices
from tests.support.fault_report import REPORT
from tests.support.stack import PlatformStack
from tests.support.tools import ensure_chromium


@pytest.fixture(scope="session")
def fake_llm():  # type: ignore[no-untyped-def]
    server = FakeLlm()
    yield server
    server.close()


@pytest.fixture(scope="session")
def demo():  # type: ignore[no-untyped-def]
    """The demo web app and API that runs drive (Chromium is installed when missing)."""
    ensure_chromium()
    app = DemoApp()
    yield app
    app.close()


@pytest.fixture(scope="session")
def outside():  # type: ignore[no-untyped-def]
    """Slack, JIRA, GitHub, webhooks and SMTP, recording what the platform sends them."""
    services = FakeServices()
    yield services
    services.close()


@pytest.fixture(scope="session")
async def stack(fake_llm: FakeLlm, outside: FakeServices) -> AsyncIterator[PlatformStack]:
    os.environ.update(outside.env())
    # a directory of its own, not under pytest's basetemp: pytest deletes all but the last three
    # basetemps when a session starts, so a second test session on the machine would delete this
    # one's data under its running PostgreSQL (which then shuts down: its lock file is gone)
    data_dir = Path(tempfile.mkdtemp(prefix="cognitest-stack-"))
    platform = PlatformStack(data_dir, llm_url=fake_llm.url)
    try:
        await platform.start_all()
        yield platform
    finally:
        await platform.close()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
async def api(stack: PlatformStack) -> AsyncIterator[httpx.AsyncClient]:
    async with stack.client() as client:  # as the instance admin
        yield client


@pytest.fixture
async def project(api: httpx.AsyncClient) -> dict:
    response = await api.post("/api/v1/projects", params={"wait": "true"},
                              json={"name": f"test-{uuid.uuid4().hex[:8]}"})
    assert response.status_code == 201, response.text
    return response.json()


async def eventually(check, timeout: float = 20.0, interval: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll an async check until it returns a truthy value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(interval)


async def bootstrapped(api: httpx.AsyncClient, project_id: str) -> None:
    """Wait until the bootstrap workflow's events for a new project have been applied."""
    async def done():
        p = (await api.get(f"/api/v1/projects/{project_id}")).json()
        return "notifications" in p.get("settings", {})
    await eventually(done)


@pytest.fixture(scope="session")
def fault_report():  # type: ignore[no-untyped-def]
    return REPORT


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    if REPORT.rows:
        terminalreporter.section("fault suite")
        for line in REPORT.lines():
            terminalreporter.write_line(line)
