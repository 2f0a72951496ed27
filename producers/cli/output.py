"""Printing results: `--json` prints only JSON on stdout; otherwise a readable table."""

import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console()


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def show(data: Any, *, as_json: bool, columns: list[str] | None = None, title: str | None = None) -> None:
    if as_json:
        emit_json(data)
        return
    if isinstance(data, dict) and "items" in data:
        items = data["items"]
        table = Table(title=title, show_lines=False)
        cols = columns or (list(items[0].keys())[:6] if items else ["id"])
        for col in cols:  # an id is never cut (it is what the next command needs): other columns wrap
            if col == "id" or col.endswith("_id"):
                table.add_column(col, no_wrap=True, min_width=36, overflow="ignore")
            else:
                table.add_column(col, overflow="fold")
        for item in items:
            table.add_row(*[_cell(item.get(col)) for col in cols])
        console.print(table)
        if "total" in data:
            shown = len(items)
            console.print(f"{shown} of {data['total']} shown", style="dim")
        return
    if isinstance(data, dict):
        table = Table(show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column()
        for key, value in data.items():
            table.add_row(key, _cell(value, width=200))
        console.print(table)
        return
    console.print(data)


def _cell(value: Any, width: int = 60) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"
