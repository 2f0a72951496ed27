"""Never green by omission: a Postman request whose scripts cannot run on this host is reported as
blocked (an error with the reason), and a request nothing checks is "unverified", not passed."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from cognitest.consumers.execution.cases import CaseRunner, CaseSpec
from cognitest.consumers.execution.postman.sandbox import PostmanSandbox
from cognitest.infra.settings import ExecutionSettings
from tests.support.booking_app import BookingApp


@pytest.fixture
def app() -> Iterator[BookingApp]:
    served = BookingApp()
    yield served
    served.close()


def run(settings: ExecutionSettings, steps: list[dict[str, Any]]) -> Any:
    async def go() -> Any:
        sandbox = PostmanSandbox(settings)
        runner = CaseRunner(settings, blobs=None, sandbox=sandbox)  # type: ignore[arg-type]  API cases keep no artifacts
        try:
            return await runner.run(CaseSpec(uuid4(), "case", steps), {}, None, retries=1)
        finally:
            await runner.close()
            await sandbox.close()

    return asyncio.run(go())


def test_scripts_that_cannot_run_block_the_request_with_the_reason(app: BookingApp, tmp_path: Path) -> None:
    settings = ExecutionSettings(allow_private_targets=True, node_path=str(tmp_path / "no-node-here"),
                                 postman_sandbox_dir=tmp_path / "empty-prefix")
    step = {"action": "request", "method": "GET", "url": f"{app.url}/ping",
            "scripts": {"test": ["pm.test('created', () => pm.response.to.have.status(201));"]}}
    outcome = run(settings, [step])
    assert outcome.outcome == "error" and outcome.attempts == 1  # not retried: it would be blocked again
    assert outcome.error.startswith("blocked: Postman scripts could not run")
    assert "postman-sandbox is not installed" in outcome.error or "Node.js" in outcome.error


def test_a_request_nothing_checks_is_unverified_and_one_check_makes_it_a_pass(app: BookingApp) -> None:
    settings = ExecutionSettings(allow_private_targets=True)
    request = {"action": "request", "method": "GET", "url": f"{app.url}/booking"}
    unchecked = run(settings, [request])
    assert unchecked.outcome == "unverified" and "no assertion" in unchecked.error
    checked = run(settings, [request, {"action": "expect_status", "status": 200}])
    assert checked.outcome == "passed" and checked.error is None
