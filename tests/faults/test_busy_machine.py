"""A laptop running a build at the same time: with every core kept busy by other processes, the
first hour's waited commands (create a project and cases, upload requirements, generate and wait,
import results) still answer with their resource within their default timeouts."""

import json
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stack import PlatformStack

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _burn(until: float) -> None:
    while time.monotonic() < until:
        sum(i * i for i in range(10_000))


@pytest.fixture
def busy_cpus() -> Iterator[int]:
    """One CPU-bound process per core (at the same priority as the platform) for up to 5 minutes."""
    count = os.cpu_count() or 2
    until = time.monotonic() + 300
    hogs = [multiprocessing.Process(target=_burn, args=(until,), daemon=True) for _ in range(count)]
    for hog in hogs:
        hog.start()
    yield count
    for hog in hogs:
        hog.terminate()
        hog.join(5)


def test_waited_commands_answer_on_a_machine_whose_cores_are_all_busy(stack: PlatformStack, busy_cpus: int) -> None:
    env = {**os.environ, "COGNITEST_API": stack.api_url, "COLUMNS": "200"}

    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "cognitest.producers.cli.main", *args], capture_output=True,
                              text=True, env=env, timeout=300)
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
        return done.stdout

    started = time.monotonic()
    project = cli("projects", "create", "--name", "busy laptop", "--id").strip()
    suite = cli("suites", "create", "--name", "Checkout", "-p", project, "--id").strip()
    for n in range(5):
        assert cli("cases", "create", "--title", f"case {n}", "--suite", suite, "-p", project, "--id").strip()
    assert "FR-1.1" in cli("requirements", "add", str(FIXTURES / "login_spec.md"), "-p", project)
    generated = json.loads(cli("generate", "-p", project, "--engine", "offline", "--wait", "--json"))
    assert generated["cases"] > 0 and generated["coverage"]["uncovered"] == []
    run = cli("report", str(FIXTURES / "junit" / "jest.xml"), "-p", project, "--run-name", "busy")
    assert run.strip()
    listed = json.loads(cli("cases", "list", "-p", project, "--limit", "500", "--json"))
    assert listed["total"] >= 5 + generated["cases"]  # every waited write is there when read back
    assert busy_cpus >= 1 and time.monotonic() - started < 300
