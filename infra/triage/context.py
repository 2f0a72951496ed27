"""What a person needs to act on a failure without opening three pages: the run's environment
(base URL, browser, device, commit, branch, the run's name from the user's CI), what was expected
and what the page or API actually gave (parsed from Playwright's, pytest's, Jest's and our own
assertion messages), and links to the screenshot and trace."""

import re
from typing import Any
from urllib.parse import quote
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from cognitest.infra.db.models import Run

_PAIRS = [
    # Playwright (as our runner keeps it: lines joined by "; "): "Expected string: "x"; Received string: "y"",
    # "Locator expected to contain text 'x'; Actual value: y"
    re.compile(r"Expected(?: string| pattern| value)?:\s*(?P<expected>.+?)\s*(?:\n|;)\s*(?:Received(?: string| value)?|"
               r"Actual value):[ \t]*(?P<actual>[^;\n]*)", re.IGNORECASE),
    re.compile(r"expected to (?:have|contain|be)[^\"'\n]*[\"'](?P<expected>[^\"'\n]+)[\"'].*?(?:\n|;)\s*"
               r"(?:Actual value|Received(?: string)?):[ \t]*(?P<actual>[^;\n]*)", re.IGNORECASE),
    # ours: "expected status 200, got 404"; chai/jest-like "expected 200 to equal 404"
    re.compile(r"expected (?:status |text |value )?(?P<expected>[^,\n;]+?),? (?:but )?(?:got|was|received) (?P<actual>[^\n;]+)",
               re.IGNORECASE),
    re.compile(r"expected (?P<actual>\S+) to (?:equal|be|eql) (?P<expected>[^\n;]+)", re.IGNORECASE),
    # pytest: "assert 404 == 200"
    re.compile(r"assert (?P<actual>\S+) == (?P<expected>[^\n;]+)"),
]


def expected_actual(error: str | None) -> tuple[str, str] | None:
    for pattern in _PAIRS:
        if found := pattern.search(error or ""):
            return found.group("expected").strip()[:500], found.group("actual").strip()[:500] or "(nothing)"
    return None


def artifact_links(public_url: str, project_id: Any, artifacts: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Each kept artifact (screenshot, trace) as a link a person can open."""
    return [{"kind": str(a.get("kind") or "file"), "name": str(a.get("name") or a.get("kind") or "file"),
             "url": f"{public_url}/api/v1/projects/{project_id}/artifacts?ref={quote(str(a['ref']), safe='')}"}
            for a in artifacts if isinstance(a, dict) and a.get("ref")][:10]


async def run_environment(sessions: async_sessionmaker, run_id: UUID | None, browser: str | None = None) -> dict[str, Any]:
    """The run's environment as a ticket states it; only what is known."""
    env: dict[str, Any] = {"browser": browser} if browser else {}
    if run_id is None:
        return env
    async with sessions() as session:
        run = (await session.execute(select(Run).where(Run.id == run_id))).scalar_one_or_none()
    if run is None:
        return env
    requested = (run.request or {}).get("environment") or {}
    found = {"base_url": requested.get("base_url") if isinstance(requested, dict) else None,
             "device": (run.request or {}).get("device"), "commit": run.commit, "branch": run.branch,
             "run_name": run.name}
    if not browser and (run.request or {}).get("browsers"):
        found["browser"] = ", ".join(map(str, run.request["browsers"]))
    return {**env, **{k: v for k, v in found.items() if v}}
