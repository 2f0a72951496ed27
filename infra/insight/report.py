"""A run as a self-contained HTML report to send to someone who has no account: totals as an
inline SVG chart (with a table for screen readers), what changed since the run before it, every
result with its error; no script, no network request, styles inline, readable in dark mode and
printable (PDF: `cognitest runs report --pdf`, Chromium's print)."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cognitest.infra.db import models as m
from cognitest.infra.insight.compare import compare
from cognitest.infra.insight.runs import latest_ids, outcomes, previous

ENV = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")), autoescape=select_autoescape())
# the order outcomes are drawn and listed in, with their colours (the same in light and dark)
OUTCOMES = (("failed", "#c0392b"), ("error", "#8e44ad"), ("flaky", "#b9770e"), ("passed", "#1e8449"),
            ("skipped", "#7f8c8d"), ("unverified", "#5d6d7e"), ("untested", "#95a5a6"), ("manual", "#2e86c1"))
TOTALS_KEY = {"error": "errors"}  # a run's totals count errors under a plural key
MAX_LISTED = 5000


class RunNotFound(LookupError):
    pass


def bars(totals: dict[str, Any]) -> list[dict[str, Any]]:
    """One bar per outcome present, widths in percent of all results (a zero total draws nothing
    rather than a blank chart: the table says 0)."""
    counts = [(name, colour, int(totals.get(TOTALS_KEY.get(name, name)) or 0)) for name, colour in OUTCOMES]
    total = sum(count for _, _, count in counts)
    out, x = [], 0.0
    for name, colour, count in counts:
        width = 100.0 * count / total if total else 0.0
        out.append({"name": name, "colour": colour, "count": count, "x": round(x, 3), "width": round(width, 3)})
        x += width
    return out


async def run_report(session: AsyncSession, project_id: UUID, run_id: UUID) -> tuple[str, str]:
    """(file name, HTML) of a run's report."""
    run = await session.get(m.Run, run_id)
    if run is None or run.project_id != project_id or run.deleted_at is not None:
        raise RunNotFound(f"run {run_id} not found")
    project = await session.get(m.Project, project_id)
    r = m.RunResult
    rows = list(await session.execute(
        select(r, m.TestCase.title).outerjoin(m.TestCase, m.TestCase.id == r.test_case_id)
        .where(r.id.in_(latest_ids(run_id))).order_by(r.outcome, r.key).limit(MAX_LISTED)))
    rank = {name: i for i, (name, _) in enumerate(OUTCOMES)}
    titles = {str(result.test_case_id): title for result, title in rows if title}
    results = sorted(({"title": title or result.key or str(result.test_case_id), "outcome": result.outcome,
                       "duration_ms": result.duration_ms, "attempts": result.attempts,
                       "error": (result.error or "")[:4000]} for result, title in rows),
                     key=lambda x: (rank.get(x["outcome"], 99), x["title"]))
    base = await previous(session, run)
    comparison = None
    if base is not None:
        comparison = {"base": base, **compare(await outcomes(session, base.id), await outcomes(session, run.id))}
    totals = {k: v for k, v in (run.totals or {}).items() if isinstance(v, int)}
    html = ENV.get_template("run_report.html").render(
        project=project, run=run, totals=totals, titles=titles, bars=bars(totals), results=results, comparison=comparison,
        listed=len(results), more=len(results) >= MAX_LISTED, target=_target(run.request or {}),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in (run.name or str(run.id)))[:80]
    return f"cognitest-run-{name}.html", html


def _target(request: dict[str, Any]) -> dict[str, Any]:
    """Where the run ran, without its variables (they hold credentials)."""
    environment = request.get("environment") if isinstance(request.get("environment"), dict) else {}
    return {k: v for k, v in {"base URL": environment.get("base_url"), "browsers": ", ".join(request.get("browsers") or []),
                              "device": request.get("device")}.items() if v}
