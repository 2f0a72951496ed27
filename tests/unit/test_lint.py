"""The tree passes ruff with the project's rules (pyproject.toml [tool.ruff]): unused imports and
names, undefined names, bugbear's traps, blind excepts without a reason. ruff comes with the
test extras; a missing ruff fails here instead of skipping."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ruff_finds_nothing() -> None:
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise", str(ROOT)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
