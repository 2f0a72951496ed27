"""`cognitest doctor`: is this machine ready to run the platform and its tests? Each check says
what it found and, when something is missing, what to do. Exit 1 when a check fails (a warning
does not: the platform runs, one kind of test does not)."""

import shutil
import socket
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import typer

from cognitest.infra.browser import system_chromium
from cognitest.infra.settings import Settings
from cognitest.producers.cli.output import console, emit_json

OK, WARN, FAIL = "ok", "warn", "fail"
MIN_FREE_BYTES = 2 * 1024**3


@dataclass
class Check:
    name: str
    status: str
    found: str
    todo: str = ""


def python_check(version: tuple[int, int] = sys.version_info[:2]) -> Check:
    found = f"Python {version[0]}.{version[1]}"
    if version >= (3, 11):
        return Check("python", OK, found)
    return Check("python", FAIL, found, "install Python 3.11 or newer and create the .venv with it (python3 dev.py up)")


def chromium_check(configured: str | None) -> Check:
    path = system_chromium(configured)
    if path:
        return Check("chromium", OK, path)
    bundled = sorted(Path.home().glob(".cache/ms-playwright/chromium-*"))
    if bundled:
        return Check("chromium", OK, f"Playwright's own ({bundled[-1]})")
    return Check("chromium", WARN, "no Chromium found", "web runs and app-aware generation need one: "
                 "`apt-get install chromium` (Debian/Ubuntu) or `.venv/bin/playwright install chromium`, or set "
                 "COGNITEST_EXECUTION__CHROMIUM_PATH")


def node_check(configured: str | None) -> Check:
    node = configured or shutil.which("node")
    if not node:
        return Check("node", WARN, "no Node.js found", "Postman scripts and the Appium server need Node.js 18+: "
                     "install it (https://nodejs.org or your package manager) or set COGNITEST_EXECUTION__NODE_PATH")
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return Check("node", WARN, f"{node} does not run ({type(exc).__name__})", "reinstall Node.js 18+")
    major = int(version.lstrip("v").split(".")[0]) if version.lstrip("v").split(".")[0].isdigit() else 0
    if major < 18:
        return Check("node", WARN, f"Node.js {version}", "Postman scripts need Node.js 18 or newer: upgrade it")
    return Check("node", OK, f"Node.js {version} ({node})")


def ports_check(ports: dict[str, int]) -> Check:
    busy = []
    for name, port in ports.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                busy.append(f"{name} {port}")
    if not busy:
        return Check("ports", OK, f"{len(ports)} embedded ports free")
    return Check("ports", WARN, "in use: " + ", ".join(busy), "if `cognitest up` is already running, that is it; "
                 "otherwise stop what uses them or move every port at once: `cognitest up --ports-from 28000`")


def data_dir_check(data_dir: Path, min_free: int = MIN_FREE_BYTES) -> list[Check]:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / ".doctor-probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        return [Check("data dir", FAIL, f"{data_dir}: {exc.strerror or exc}",
                      "give a writable directory: --data-dir DIR or COGNITEST_DATA_DIR")]
    free = shutil.disk_usage(data_dir).free
    disk = Check("disk", OK, f"{free / 1024**3:.1f} GB free in {data_dir}")
    if free < min_free:
        disk = Check("disk", FAIL, f"{free / 1024**3:.1f} GB free in {data_dir}",
                     f"NATS, PostgreSQL and Temporal need at least {min_free / 1024**3:.0f} GB: free space or move "
                     "the data dir (--data-dir)")
    return [Check("data dir", OK, f"{data_dir} is writable"), disk]


def checks(settings: Settings) -> list[Check]:
    ports = {"API": settings.http.port, "NATS": settings.nats.port, "NATS monitor": settings.nats.monitor_port,
             "PostgreSQL": settings.database.port, "Temporal": settings.temporal.port,
             "Temporal UI": settings.temporal.ui_port}
    return [python_check(), chromium_check(settings.execution.chromium_path), node_check(settings.execution.node_path),
            ports_check(ports), *data_dir_check(settings.data_dir)]


def doctor(as_json: bool = typer.Option(False, "--json", help="print only JSON")) -> None:
    """Check this machine: Python, Chromium, Node.js, the embedded ports, the data dir and its free disk;
    say what to do for each problem. Exit 1 when a check fails."""
    found = checks(Settings())
    if as_json:
        emit_json([asdict(c) for c in found])
    else:
        marks = {OK: "[green]ok  [/]", WARN: "[yellow]warn[/]", FAIL: "[red]FAIL[/]"}
        for c in found:
            console.print(f"{marks[c.status]} {c.name:<9} {c.found}" + (f"\n          → {c.todo}" if c.todo else ""))
    if any(c.status == FAIL for c in found):
        raise SystemExit(1)
