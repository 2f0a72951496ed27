"""The README's examples run as pasted: its `sh` blocks (all but the quick start and the Docker
Compose block, marked `readme-test: skip`), in order, in one bash at the repository's root, against
the running platform, exactly as a new user pastes them after `python3 dev.py up`."""

import os
import re
import subprocess
from pathlib import Path

from tests.support.stack import PlatformStack

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"(<!-- readme-test: skip[^>]*-->[ \t]*\n)?([ \t]*)```sh\n(.*?)\n\2```", re.S)


def walkthrough() -> list[str]:
    """The README's runnable sh blocks, in order, their list indentation removed."""
    blocks = []
    for found in BLOCK.finditer((ROOT / "README.md").read_text()):
        if found.group(1):
            continue
        indent = found.group(2)
        blocks.append("\n".join(line.removeprefix(indent) for line in found.group(3).splitlines()))
    return blocks


def test_the_walkthrough_is_found_whole() -> None:
    blocks = walkthrough()
    assert len(blocks) == 6 and blocks[0].startswith("source .venv/bin/activate")
    assert all("PLAN_ID" not in b and "SUITE_ID" not in b and "CASE_ID" not in b for b in blocks)  # nothing to fill in


def test_every_readme_example_runs_as_pasted(stack: PlatformStack) -> None:
    script = "\n".join(["set -eo pipefail", "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT", "set -x",
                        *walkthrough()])
    env = {**os.environ, "COGNITEST_API": stack.api_url, "COLUMNS": "200"}
    env.pop("COGNITEST_PROJECT", None)
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-5000:])
    assert "Coverage:" not in done.stdout or "requirements covered" in done.stdout
    assert "App:" in done.stdout and "page(s) mapped" in done.stdout  # the app-aware generation explored the app
    assert "run" in done.stdout and "completed" in done.stdout
