"""docs/architecture.md stays true: every file or folder it names exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP = ("schemas/", "infra/", "producers/", "consumers/", "workflows/", "tests/", "docs/")


def test_every_path_in_the_capability_map_exists() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    named = {p for p in re.findall(r"`([^`\s]+)`", text) if p.startswith(TOP)}
    assert len(named) >= 30
    missing = sorted(p for p in named if not any(ROOT.glob(p)))
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"
