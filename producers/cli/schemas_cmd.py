"""`cognitest schemas export|asyncapi|list`."""

import json
import os
import sys
from pathlib import Path

import typer

from cognitest.producers.cli.output import show
from cognitest.schemas import registry

schemas_app = typer.Typer(help="The event catalogue as JSON Schema and AsyncAPI.", no_args_is_help=True)


@schemas_app.command("export")
def export(out: Path = typer.Argument(Path("schemas-out"), help="directory to write into")) -> None:
    """Write one JSON Schema file per event type (the whole envelope, payload included)."""
    out.mkdir(parents=True, exist_ok=True)
    index = []
    for name, _model in registry.items():
        schema = registry.envelope(name).model_json_schema()
        schema["$id"] = f"urn:cognitest:event:{name}:v{registry.version(name)}"
        schema["title"] = name
        path = out / f"{name}.v{registry.version(name)}.json"
        path.write_text(json.dumps(schema, indent=2) + "\n")
        index.append({"type": name, "version": registry.version(name), "file": path.name})
    (out / "index.json").write_text(json.dumps(index, indent=2) + "\n")
    print(f"wrote {len(index)} event schemas to {out}")


@schemas_app.command("list")
def list_types(as_json: bool = typer.Option(False, "--json", help="print only JSON")) -> None:
    """List every event type with its version and description."""
    items = [{"type": n, "version": registry.version(n), "description": getattr(m, "__event_description__", "")}
             for n, m in registry.items()]
    show({"items": items}, as_json=as_json, columns=["type", "version", "description"], title="events")


@schemas_app.command("asyncapi")
def asyncapi() -> None:
    """Print the consumers' AsyncAPI document (every subject and payload)."""
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, "-m", "cognitest.consumers", "asyncapi"])
