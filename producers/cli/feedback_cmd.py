"""`cognitest feedback accept|reject|modify|rate|suite|list|stats`: what people think of what the
AI produced, and the acceptance statistics per agent."""

import json
from typing import Any

import typer

from cognitest.producers.cli.client import Api
from cognitest.producers.cli.exits import CliError
from cognitest.producers.cli.output import console, emit_json, show
from cognitest.schemas.events.feedback import REJECTION_REASONS

feedback_app = typer.Typer(help="Accept, reject, edit or rate generated plans, suites, cases and issues.",
                           no_args_is_help=True)
API = typer.Option(None, "--api", envvar="COGNITEST_API", help="API base URL")
JSON = typer.Option(False, "--json", help="print only JSON")
PROJECT = typer.Option(..., "--project", "-p", envvar="COGNITEST_PROJECT", help="project id")
KIND = typer.Option("case", "--kind", help="plan, suite, case or issue")
COMMENT = typer.Option(None, "--comment", "-m", help="free text")
REASON_HELP = "one of " + ", ".join(REJECTION_REASONS)


def _record(api: str | None, project: str, body: dict[str, Any], as_json: bool) -> None:
    answer = Api(api).post(f"/api/v1/projects/{project}/feedback", {k: v for k, v in body.items() if v is not None},
                           wait="true")
    if as_json:
        emit_json(answer)
        return
    console.print(f"{body['verdict']}: {body['artifact_kind']} {body['artifact_id']} (agent {answer.get('agent', '?')})")
    for change in answer.get("diff") or []:
        console.print(f"  {change['field']}: {json.dumps(change['before'])[:80]} → {json.dumps(change['after'])[:80]}")


@feedback_app.command("accept")
def accept(artifact: str = typer.Argument(..., help="id of the plan, suite, case or issue"), kind: str = KIND,
           comment: str = COMMENT, project: str = PROJECT, api: str = API, as_json: bool = JSON) -> None:
    """Accept a generated artifact."""
    _record(api, project, {"artifact_kind": kind, "artifact_id": artifact, "verdict": "accepted", "comment": comment}, as_json)


@feedback_app.command("reject")
def reject(artifact: str = typer.Argument(..., help="id of the plan, suite, case or issue"), kind: str = KIND,
           reason: str = typer.Option(None, "--reason", "-r", help=REASON_HELP), comment: str = COMMENT,
           project: str = PROJECT, api: str = API, as_json: bool = JSON) -> None:
    """Reject a generated artifact, with a reason from the short list and free text."""
    _record(api, project, {"artifact_kind": kind, "artifact_id": artifact, "verdict": "rejected", "reason": reason,
                           "comment": comment}, as_json)


@feedback_app.command("modify")
def modify(case: str = typer.Argument(..., help="id of the case"),
           set_: list[str] = typer.Option(None, "--set", help="FIELD=VALUE (repeat); a JSON value for lists: "
                                          "--set 'tags=[\"smoke\"]'"),
           changes: str = typer.Option(None, "--changes", help="the new field values as a JSON object"),
           comment: str = COMMENT, project: str = PROJECT, api: str = API, as_json: bool = JSON) -> None:
    """Edit a generated case and record the edit (before, after and a field-level diff). Exit 2 on bad input."""
    values: dict[str, Any] = {}
    if changes:
        try:
            values = json.loads(changes)
        except ValueError as exc:
            raise CliError(f"--changes is not JSON: {exc}") from None
        if not isinstance(values, dict):
            raise CliError("--changes must be a JSON object")
    for item in set_ or []:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise CliError(f"--set {item!r}: expected FIELD=VALUE")
        try:
            values[name] = json.loads(raw) if raw[:1] in "[{\"" else raw
        except ValueError as exc:
            raise CliError(f"--set {name}: {exc}") from None
    if not values:
        raise CliError("nothing to change: give --set FIELD=VALUE or --changes JSON")
    _record(api, project, {"artifact_kind": "case", "artifact_id": case, "verdict": "modified", "changes": values,
                           "comment": comment}, as_json)


@feedback_app.command("rate")
def rate(artifact: str = typer.Argument(..., help="id of the plan, suite, case or issue"),
         stars: int = typer.Argument(..., min=1, max=5, help="1 to 5"), kind: str = KIND, comment: str = COMMENT,
         project: str = PROJECT, api: str = API, as_json: bool = JSON) -> None:
    """Rate a generated artifact from 1 to 5."""
    _record(api, project, {"artifact_kind": kind, "artifact_id": artifact, "verdict": "rated", "rating": stars,
                           "comment": comment}, as_json)


@feedback_app.command("suite")
def suite(suite_id: str = typer.Argument(..., help="id of the suite"),
          verdict: str = typer.Argument(..., help="accept or reject"),
          reason: str = typer.Option(None, "--reason", "-r", help=REASON_HELP), comment: str = COMMENT,
          project: str = PROJECT, api: str = API, as_json: bool = JSON) -> None:
    """Accept or reject every AI-generated case of a suite at once."""
    if verdict not in ("accept", "reject"):
        raise CliError("the verdict is accept or reject")
    answer = Api(api).post(f"/api/v1/projects/{project}/suites/{suite_id}/feedback",
                           {k: v for k, v in {"verdict": verdict + "ed", "reason": reason, "comment": comment}.items()
                            if v is not None})
    if as_json:
        emit_json(answer)
    else:
        console.print(f"{answer['verdict']}: {answer['recorded']} cases of suite {suite_id}")


@feedback_app.command("list")
def list_feedback(project: str = PROJECT, artifact: str = typer.Option(None, "--artifact"),
                  verdict: str = typer.Option(None, "--verdict"), agent: str = typer.Option(None, "--agent"),
                  limit: int = typer.Option(50, "--limit"), api: str = API, as_json: bool = JSON) -> None:
    """Feedback recorded in the project, newest first."""
    show(Api(api).get(f"/api/v1/projects/{project}/feedback", artifact_id=artifact, verdict=verdict, agent=agent,
                      limit=limit), as_json=as_json,
         columns=["created_at", "agent", "verdict", "artifact_kind", "artifact_id", "reason", "rating"], title="feedback")


@feedback_app.command("stats")
def stats(project: str = PROJECT, days: int = typer.Option(90, "--days"),
          bucket: str = typer.Option("day", "--bucket", help="day or week"), api: str = API, as_json: bool = JSON) -> None:
    """Acceptance and modification rates per agent, their trend and the most common rejection reasons."""
    answer = Api(api).get(f"/api/v1/projects/{project}/feedback/stats", days=days, bucket=bucket)
    if as_json:
        emit_json(answer)
        return

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.0%}"

    overall = answer["overall"]
    console.print(f"[bold]all agents[/]: {overall['judged']} judged, acceptance {pct(overall['acceptance_rate'])}, "
                  f"modified {pct(overall['modification_rate'])}")
    for agent, s in answer["agents"].items():
        reasons = ", ".join(f"{r['reason']} {r['count']}" for r in s["rejection_reasons"][:3]) or "none"
        rating = f", rating {s['average_rating']:.1f} ({s['ratings']})" if s["average_rating"] is not None else ""
        console.print(f"[bold]{agent}[/]: {s['judged']} judged, acceptance {pct(s['acceptance_rate'])}, modified "
                      f"{pct(s['modification_rate'])}{rating}; rejected for: {reasons}")
        trend = " ".join(f"{t['period'][5:]}:{pct(t['acceptance_rate'])}" for t in s["trend"][-10:])
        if trend:
            console.print(f"  trend {trend}")


knowledge_app = typer.Typer(help="The knowledge base that generation learns from.", no_args_is_help=True)


@knowledge_app.command("reembed")
def reembed(project: str = typer.Option(None, "--project", "-p", envvar="COGNITEST_PROJECT", help="project id"),
            all_projects: bool = typer.Option(False, "--all", help="every project (after changing the embedding model)"),
            reason: str = typer.Option(None, "--reason", help="why, for the event log"),
            api: str = API, as_json: bool = JSON) -> None:
    """Embed a project's cases, requirements, issues and feedback again from its events. Exit 2 without -p or --all."""
    client = Api(api)
    if all_projects:
        projects = [p["id"] for p in client.get("/api/v1/projects", limit=1000)["items"]]
    elif project:
        projects = [project]
    else:
        raise CliError("give --project ID or --all")
    answers = [client.post(f"/api/v1/projects/{p}/knowledge/reembed", {"reason": reason} if reason else {}) for p in projects]
    if as_json:
        emit_json({"requested": [a["resource_id"] for a in answers]})
    else:
        console.print(f"re-embedding requested for {len(answers)} project(s)")
