"""The HTTP API fuzzed from its own OpenAPI document with schemathesis: generated requests to
every operation (examples, boundary values, then random data), as the instance admin, with every
check schemathesis has: no 5xx, no undocumented status, body, header or content type, 405 with
`Allow`, no schema-valid request refused and no schema-violating one accepted (what a JSON Schema
cannot state is listed, with the reason, in tests/support/schemathesis.toml). At least 5,000
requests per run."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.stack import PlatformStack

CONFIG = Path(__file__).resolve().parents[1] / "support" / "schemathesis.toml"  # what the schema cannot say, and why
EXCLUDED = [
    "/api/v1/events/stream",  # an open event stream never ends: it is tested by test_replay_and_api_edges
]


# the long lane (COGNITEST_FUZZ_EXAMPLES=60 ... for >= 5,000 requests) takes the same test
EXAMPLES = int(os.environ.get("COGNITEST_FUZZ_EXAMPLES", "12"))
CHECKS = os.environ.get("COGNITEST_FUZZ_CHECKS")  # unset: every check, as tests/support/schemathesis.toml tunes them
MINIMUM = int(os.environ.get("COGNITEST_FUZZ_MINIMUM", "5000"))


@pytest.mark.timeout(1200 * max(1, EXAMPLES // 12))  # ~4 min here; 5x headroom for a busy machine
async def test_schemathesis_finds_no_server_errors_or_schema_violations(stack: PlatformStack, tmp_path: Path) -> None:
    report = tmp_path / "report"
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run", f"{stack.api_url}/openapi.json",
        *(["--checks", CHECKS] if CHECKS else []), "--phases", "examples,coverage,fuzzing", "--max-examples", str(EXAMPLES), "--workers", "2",
        "--header", f"Authorization: {stack.headers['authorization']}", "--request-timeout", "20",
        "--seed", "20261126", "--report", "ndjson", "--report-dir", str(report), "--no-color",
        "--suppress-health-check", "all",
        *[arg for path in EXCLUDED for arg in ("--exclude-path", path)],
    ]
    # in a thread: the test's event loop must go on reading the platform's logs (a full pipe would
    # block the API's writes)
    done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=900 * max(1, EXAMPLES // 12),
                                   cwd=tmp_path)
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts" / "fuzz"
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / "schemathesis.txt").write_text(done.stdout + "\n" + done.stderr)  # the whole report, for the record
    requests, errors, generator_errors = 0, [], 0
    for line in (next(report.glob("*.ndjson"))).read_text().splitlines():
        event = json.loads(line)
        if "ScenarioFinished" in event:
            requests += len((event["ScenarioFinished"].get("recorder") or {}).get("interactions") or {})
        if "NonFatalError" in event:
            value = event["NonFatalError"]["value"]
            if _in_generator(value, done.stdout):
                generator_errors += 1  # schemathesis could not build a request: no request was sent, nothing to judge
                continue
            errors.append(f"{event['NonFatalError']['label']}: {value['message'][:300]}")
    failures = done.stdout.split("FAILURES", 1)[-1] if "FAILURES" in done.stdout else done.stdout
    tail = "\n".join(failures.splitlines()[:150])
    # the report keeps an error's message only; schemathesis prints its cause (the first failure of a
    # flaky case, a traceback) in the ERRORS section of its output
    printed = done.stdout.split("ERRORS", 1)[-1][:6000] if "ERRORS" in done.stdout else done.stdout[-3000:]
    assert not errors, ("requests that failed outright (timeouts, dropped connections):\n" + "\n".join(errors[:20])
                        + "\n" + printed)
    # a failed check is listed under FAILURES; an exit code set only by generation errors (counted above) is not one
    assert "FAILURES" not in done.stdout and (done.returncode == 0 or generator_errors), \
        f"schemathesis found failures:\n{tail}\n{done.stderr[-3000:]}"
    assert requests >= MINIMUM, f"only {requests} requests were generated:\n{tail}"
    assert generator_errors <= 2, f"schemathesis failed to build requests for {generator_errors} operations"


def _in_generator(value: dict, printed: str) -> bool:
    """An error raised inside schemathesis's own data generation (its coverage phase building a large
    array, reported as "Inconsistent results") rather than by a request to the platform: the report
    keeps only the message; the traceback schemathesis prints shows where it was raised."""
    return ("Inconsistent results" in value.get("message", "") and "specs/openapi/coverage/" in printed
            and "generate_from_schema" in printed)
