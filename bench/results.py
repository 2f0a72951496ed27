"""Where every benchmark writes its JSON: bench/results/<name>.json."""

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def save(name: str, result: Any) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
