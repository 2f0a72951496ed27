"""`cognitest automations ...`: templates, create, list, show, update, run, executions, approve,
cancel, retry and schedule operations."""

import json
import time
from pathlib import Path

import typer

from cognitest.producers.cli.client import Api
from cognitest.producers.cli.exits import FAILED, fail
from cognitest.producers.cli.output import console, emit_json, show

automations_app = typer.Typer(help="Durable automations: graphs of triggers, actions and logic run by Temporal.",
                              no_args_is_help=True)
API = typer.Option(None, "--api", envvar="COGNITEST_API", help="API base URL")
JSON = typer.Option(False, "--json", help="print only JSON")
PROJECT = typer.Option(..., "--project", "-p", envvar="COGNITEST_PROJECT", help="project id")
ENDED = ("completed", "failed", "cancelled", "timed_out")


def _params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs or []:
        if "=" not in pair:
            fail(f"--param takes NAME=VALUE, not {pair!r}")
        name, value = pair.split("=", 1)
        params[name.strip()] = value
    return params


def _graph(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    except ValueError as exc:
        fail(f"{path} is not JSON: {exc}")


@automations_app.command("templates")
def templates(api: str = API, as_json: bool = JSON) -> None:
    """List the starter templates and their parameters."""
    items = Api(api).get("/api/v1/automation-templates")["items"]
    if as_json:
        emit_json(items)
        return
    for t in items:
        console.print(f"[bold]{t['name']}[/] — {t['title']}\n  {t['description']}")
        for name, what in t["params"].items():
            console.print(f"  --param {name}=…  {what}")


@automations_app.command("create")
def create(project: str = PROJECT, template: str = typer.Option(None, "--template", "-t", help="a starter template"),
           param: list[str] = typer.Option(None, "--param", help="NAME=VALUE for the template (repeat)"),
           file: Path = typer.Option(None, "--file", "-f", help="a JSON file with nodes and edges"),
           name: str = typer.Option(None, "--name", help="default: the template's title or the file's name"), disabled: bool = typer.Option(False, "--disabled"),
           api: str = API, as_json: bool = JSON) -> None:
    """Create an automation from a template or a graph file; prints its id. Exit 2 with every problem if invalid."""
    if (template is None) == (file is None):
        fail("give either --template or --file")
    body = {"name": name or (file.stem if file else None), "enabled": not disabled, "template": template, "params": _params(param),
            "graph": _graph(file) if file else None}
    created = Api(api).post(f"/api/v1/projects/{project}/automations", {k: v for k, v in body.items() if v is not None},
                            wait="true")
    emit_json(created) if as_json else print(created.get("id") or created.get("resource_id"))


@automations_app.command("update")
def update(automation: str = typer.Argument(...), project: str = PROJECT,
           file: Path = typer.Option(None, "--file", "-f", help="a new graph"),
           enable: bool = typer.Option(None, "--enable/--disable"), name: str = typer.Option(None, "--name"),
           api: str = API, as_json: bool = JSON) -> None:
    """Save a new version of an automation."""
    body = {"graph": _graph(file) if file else None, "enabled": enable, "name": name}
    updated = Api(api).patch(f"/api/v1/projects/{project}/automations/{automation}",
                             {k: v for k, v in body.items() if v is not None}, wait="true")
    emit_json(updated) if as_json else print(f"{automation} version {updated.get('version')}")


@automations_app.command("list")
def list_automations(project: str = PROJECT, api: str = API, as_json: bool = JSON) -> None:
    """List the project's automations."""
    show(Api(api).get(f"/api/v1/projects/{project}/automations"), as_json=as_json,
         columns=["id", "name", "version", "enabled", "triggers"], title="automations")


@automations_app.command("show")
def show_automation(automation: str, project: str = PROJECT, api: str = API) -> None:
    """Print an automation with its graph (JSON)."""
    emit_json(Api(api).get(f"/api/v1/projects/{project}/automations/{automation}"))


@automations_app.command("versions")
def versions(automation: str, project: str = PROJECT, api: str = API, as_json: bool = JSON) -> None:
    """List every saved version of an automation."""
    show(Api(api).get(f"/api/v1/projects/{project}/automations/{automation}/versions"), as_json=as_json,
         columns=["version", "name", "enabled", "created_by", "created_at"], title="versions")


@automations_app.command("run")
def run(automation: str, project: str = PROJECT,
        input_: str = typer.Option("{}", "--input", help="JSON object given to the manual trigger"),
        wait: bool = typer.Option(False, "--wait", help="wait for the execution to end"),
        timeout: float = typer.Option(3600, "--timeout"), api: str = API, as_json: bool = JSON) -> None:
    """Run an automation now; prints the execution id. With --wait, exit 1 unless it completes."""
    try:
        data = json.loads(input_)
    except ValueError as exc:
        fail(f"--input is not JSON: {exc}")
    client = Api(api)
    accepted = client.post(f"/api/v1/projects/{project}/automations/{automation}/run", {"input": data})
    execution_id = accepted["execution_id"]
    if not wait:
        emit_json(accepted) if as_json else print(execution_id)
        return
    _wait(client, project, execution_id, timeout, as_json)


def _wait(client: Api, project: str, execution_id: str, timeout: float, as_json: bool) -> None:
    deadline, execution = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        try:
            execution = client.get(f"/api/v1/projects/{project}/executions/{execution_id}")
        except Exception:  # noqa: BLE001  not projected yet
            execution = {"status": "requested"}
        if execution["status"] in ENDED:
            break
        time.sleep(0.5)
    if as_json:
        emit_json(execution)
    else:
        _print_execution(execution)
    if execution.get("status") != "completed":
        raise SystemExit(FAILED)


def _print_execution(execution: dict) -> None:
    console.print(f"[bold]{execution.get('id')}[/] {execution.get('status')} (trigger {execution.get('trigger')})"
                  + (f"\n  error: {execution['error']}" if execution.get("error") else ""))
    for step in execution.get("steps", []):
        console.print(f"  {step.get('status', ''):<9} {step.get('node'):<20} {step.get('node_type', step.get('type', '')):<16}"
                      f" {step.get('duration_ms', 0):>7} ms  {step.get('error') or ''}")
    if execution.get("temporal_url"):
        console.print(f"  Temporal: {execution['temporal_url']}")


@automations_app.command("executions")
def executions(project: str = PROJECT, automation: str = typer.Option(None, "--automation"),
               status: str = typer.Option(None, "--status"), api: str = API, as_json: bool = JSON) -> None:
    """List executions, newest first."""
    show(Api(api).get(f"/api/v1/projects/{project}/executions", automation_id=automation, status=status),
         as_json=as_json, columns=["id", "status", "trigger", "started_at", "finished_at", "error"], title="executions")


@automations_app.command("execution")
def execution(execution_id: str, project: str = PROJECT, api: str = API, as_json: bool = JSON) -> None:
    """Show one execution with its step log."""
    data = Api(api).get(f"/api/v1/projects/{project}/executions/{execution_id}")
    emit_json(data) if as_json else _print_execution(data)


@automations_app.command("approve")
def approve(execution_id: str, project: str = PROJECT, reject: bool = typer.Option(False, "--reject"),
            comment: str = typer.Option(None, "--comment"), api: str = API) -> None:
    """Approve (or --reject) the approval step an execution waits on."""
    Api(api).post(f"/api/v1/projects/{project}/executions/{execution_id}/approval",
                  {"approved": not reject, "comment": comment})
    print("rejected" if reject else "approved")


@automations_app.command("cancel")
def cancel(execution_id: str, project: str = PROJECT, api: str = API) -> None:
    """Cancel a running execution."""
    Api(api).post(f"/api/v1/projects/{project}/executions/{execution_id}/cancel")
    print("cancel requested")


@automations_app.command("retry")
def retry(execution_id: str, project: str = PROJECT, api: str = API) -> None:
    """Run an ended execution again with the same input; prints the new execution id."""
    print(Api(api).post(f"/api/v1/projects/{project}/executions/{execution_id}/retry")["execution_id"])


@automations_app.command("schedule")
def schedule(automation: str, action: str = typer.Argument(..., help="pause, resume, trigger, backfill or describe"),
             project: str = PROJECT, start: str = typer.Option(None, "--start", help="backfill from (ISO 8601)"),
             end: str = typer.Option(None, "--end", help="backfill until (ISO 8601)"), api: str = API) -> None:
    """Operate an automation's schedule."""
    body = {"start": start, "end": end} if action == "backfill" else None
    emit_json(Api(api).post(f"/api/v1/projects/{project}/automations/{automation}/schedule/{action}", body))
