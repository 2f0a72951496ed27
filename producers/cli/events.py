"""`cognitest publish`, `cognitest events tail`, `cognitest events dlq ...`."""

import json
import sys
from pathlib import Path
from typing import Any

import httpx
import typer

from cognitest.producers.cli.client import Api, api_url, identity
from cognitest.producers.cli.exits import UNREACHABLE, CliError, fail
from cognitest.producers.cli.output import emit_json, show

events_app = typer.Typer(help="Follow the bus and manage dead letters.", no_args_is_help=True)
dlq_app = typer.Typer(help="Messages a consumer could not process.", no_args_is_help=True)
events_app.add_typer(dlq_app, name="dlq")

API = typer.Option(None, "--api", envvar="COGNITEST_API", help="API base URL")
JSON = typer.Option(False, "--json", help="print only JSON")


def publish(
    file: Path = typer.Argument(None, help="a JSON file holding one event, or a list of events ('-' = stdin)"),
    event_type: str = typer.Option(None, "--type", "-t", help="event type, e.g. plan.created"),
    project: str = typer.Option(None, "--project", "-p", envvar="COGNITEST_PROJECT", help="project id (the event subject)"),
    data: str = typer.Option(None, "--data", help="the payload as JSON"),
    wait: bool = typer.Option(False, "--wait", help="wait until the projection applied it"),
    api: str = API,
    as_json: bool = JSON,
) -> None:
    """Publish events through the API (validated; an invalid one is refused and nothing is published)."""
    if file is not None:
        text = sys.stdin.read() if str(file) == "-" else _read(file)
        try:
            loaded = json.loads(text)
        except ValueError as exc:
            fail(f"{file} is not valid JSON: {exc}")
        events: list[Any] = loaded if isinstance(loaded, list) else [loaded]
    elif event_type and project:
        try:
            payload = json.loads(data or "{}")
        except ValueError as exc:
            fail(f"--data is not valid JSON: {exc}")
        events = [{"type": event_type, "subject": project, "data": payload}]
    else:
        fail("give a FILE, or --type with --project (and --data)")
    client = Api(api)
    results = [client.post("/api/v1/events", event, wait="true" if wait else None) for event in events]
    show(results if len(results) > 1 else results[0], as_json=as_json)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")


@events_app.command("tail")
def tail(
    project: str = typer.Option(None, "--project", "-p", envvar="COGNITEST_PROJECT", help="only this project's events"),
    event_type: str = typer.Option(None, "--type", "-t", help="type pattern: run.*, plan.created, ..."),
    since: int = typer.Option(None, "--since", help="start at this stream sequence (default: new events only)"),
    count: int = typer.Option(0, "--count", "-n", help="stop after this many events (0 = follow forever); without "
                              "--since, in a project: the last N events so far, then stop"),
    api: str = API,
    as_json: bool = JSON,
) -> None:
    """Follow events live (one JSON line per event with --json)."""
    if count and since is None and project:  # the last N so far: start at the oldest of them (the audit log's order)
        recent = Api(api).get(f"/api/v1/projects/{project}/audit", type=event_type, limit=count)["items"]
        if not recent:
            return
        since = min(int(item["seq"]) for item in recent)
    params = {k: v for k, v in {"project": project, "type": event_type, "since": since}.items() if v is not None}
    seen = 0
    try:
        with httpx.stream("GET", f"{api_url(api)}/api/v1/events/stream", params=params, timeout=None,
                          headers=identity()) as response:
            if response.status_code >= 400:
                response.read()
                raise CliError(f"{response.json().get('message', response.text)} (HTTP {response.status_code})")
            seq = None
            for line in response.iter_lines():
                if line.startswith("id: "):
                    seq = line[4:]
                elif line.startswith("data: "):
                    event = json.loads(line[6:])
                    if as_json:
                        sys.stdout.write(json.dumps(event) + "\n")
                    else:
                        sys.stdout.write(f"#{seq} {event['time']} {event['type']:<24} project={event['subject']} "
                                         f"actor={event['actor']} {json.dumps(event['data'])[:120]}\n")
                    sys.stdout.flush()
                    seen += 1
                    if count and seen >= count:
                        return
    except httpx.TransportError as exc:
        raise CliError(f"cannot reach the Cognitest API at {api_url(api)}: {type(exc).__name__}", UNREACHABLE) from None


@dlq_app.command("list")
def dlq_list(limit: int = typer.Option(100, min=1, max=1000), api: str = API, as_json: bool = JSON) -> None:
    """List dead letters with their reason."""
    show(Api(api).get("/api/v1/dead-letters", limit=limit), as_json=as_json,
         columns=["seq", "consumer", "event_type", "event_id", "reason", "at"], title="dead letters")


@dlq_app.command("redrive")
def dlq_redrive(seq: int = typer.Argument(..., help="the dead letter's sequence (from `dlq list`)"),
                api: str = API, as_json: bool = JSON) -> None:
    """Publish a dead letter again (after a fix) and remove it from the dead-letter stream."""
    result = Api(api).post(f"/api/v1/dead-letters/{seq}/redrive")
    emit_json(result) if as_json else print(f"re-drove dead letter {seq} as stream sequence {result['seq']}")


@dlq_app.command("discard")
def dlq_discard(seq: int = typer.Argument(...), api: str = API, as_json: bool = JSON) -> None:
    """Drop a dead letter for good."""
    result = Api(api).delete(f"/api/v1/dead-letters/{seq}")
    emit_json(result) if as_json else print(f"discarded dead letter {seq}")


def status(api: str = API, as_json: bool = JSON) -> None:
    """Health of NATS, PostgreSQL and Temporal, the lag of every consumer, and the dead letters.
    Exit 1 if anything is unhealthy."""
    from cognitest.producers.cli.exits import FAILED
    from cognitest.producers.cli.output import console

    data = Api(api).get("/api/v1/status")
    if as_json:
        emit_json(data)
    else:
        for name, check in data["checks"].items():
            mark = "[green]ok[/]" if check["ok"] else f"[red]down[/] {check.get('error', '')}"
            console.print(f"{name:<10} {mark}")
        show({"items": data["consumers"]}, as_json=False, title="consumers",
             columns=["name", "pending", "unacked", "redelivered", "waiting_pulls", "last_delivered_seq"])
        console.print(f"dead letters: {data['dead_letters']}")
        for name, service in sorted((data.get("services") or {}).items()):
            console.print(f"{name:<10} restarted {service.get('restarts', 0)} time(s) by `up`, now {service.get('state')}")
    if not data["ok"]:
        raise SystemExit(FAILED)
