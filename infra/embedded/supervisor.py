"""Starts services as child processes, prefixes their output, waits until each is ready, and
stops them all in reverse order."""

import asyncio
import contextlib
import os
import random
import signal
import socket
import sys
from collections import deque
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from cognitest.infra.embedded.services import ServiceSpec

_COLORS = {"cyan": 36, "magenta": 35, "blue": 34, "green": 32, "yellow": 33, "red": 31, "white": 37}


class StartFailed(RuntimeError):
    pass


STATUS_FILE = "supervisor.json"  # in the data directory: what `up` restarted, read by the API's status


def record_event(data_dir: Path, event: dict[str, Any]) -> None:
    """Keep per service: how often it was restarted, its last exit and state."""
    path = Path(data_dir) / STATUS_FILE
    status = read_status(data_dir)
    entry = status.setdefault(event["service"], {"restarts": 0})
    entry["at"] = datetime.now(UTC).isoformat()
    if event["event"] == "exited":
        entry.update(state="restarting", last_exit_code=event.get("code"))
    elif event["event"] == "restarted":
        entry.update(state="running", restarts=entry.get("restarts", 0) + 1)
    elif event["event"] == "restart_failed":
        entry.update(state="restarting", last_error=event.get("error"))
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(status, indent=1))
    tmp.replace(path)


def read_status(data_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((Path(data_dir) / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return {}


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


_handed_out: set[int] = set()


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port free now and below the kernel's ephemeral range, so that no outgoing connection of
    another process can take it between now and a (re)start of the service that listens on it."""
    low = min(_ephemeral_low(), 32768)
    for _ in range(200):
        port = random.randrange(max(1024, low - 12000), low)
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:  # a crowded machine: let the kernel pick
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Running:
    spec: ServiceSpec
    process: asyncio.subprocess.Process
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=40))
    pump: asyncio.Task[None] | None = None
    lines: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # watched words -> lines that contained them

    def watch(self, word: str) -> None:
        self.counts.setdefault(word, 0)


class Supervisor:
    def __init__(self, *, echo: bool = True, write: Callable[[str], None] | None = None) -> None:
        self._running: dict[str, Running] = {}
        self._echo = echo
        self._write = write or (lambda line: (sys.stdout.write(line), sys.stdout.flush()))
        self._color = sys.stdout.isatty()

    @property
    def running(self) -> dict[str, Running]:
        return self._running

    def _prefix(self, spec: ServiceSpec) -> str:
        label = f"{spec.name:>9} |"
        if self._color:
            return f"\x1b[{_COLORS.get(spec.color, 37)}m{label}\x1b[0m "
        return f"{label} "

    async def start(self, spec: ServiceSpec) -> Running:
        if spec.port is not None and port_in_use(spec.port):
            raise StartFailed(
                f"port {spec.port} for {spec.name} is already in use on 127.0.0.1: stop what uses it, "
                f"or move every embedded port at once (`cognitest up --ports-from 28000`; `cognitest up --help` lists "
                f"them), or point Cognitest at a running "
                f"service by URL"
            )
        env = {**os.environ, **spec.env}
        try:
            process = await asyncio.create_subprocess_exec(
                *spec.argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env=env,
                user=spec.user,
                start_new_session=True,  # Ctrl-C reaches us only; we stop children in order
            )
        except OSError as exc:
            raise StartFailed(f"cannot start {spec.name}: {exc}") from exc
        running = Running(spec, process)
        running.pump = asyncio.create_task(self._pump(running))
        self._running[spec.name] = running
        await self._wait_ready(running)
        return running

    async def _pump(self, running: Running) -> None:
        assert running.process.stdout is not None
        prefix = self._prefix(running.spec)
        while True:
            try:
                line = await running.process.stdout.readline()
            except (ValueError, asyncio.LimitOverrunError):
                continue
            if not line:
                return
            text = line.decode(errors="replace").rstrip()
            running.tail.append(text)
            running.lines += 1
            for word in running.counts:
                if word in text:
                    running.counts[word] += 1
            if self._echo:
                self._write(f"{prefix}{text}\n")

    async def _wait_ready(self, running: Running) -> None:
        spec = running.spec
        loop = asyncio.get_running_loop()
        deadline = loop.time() + spec.start_timeout
        while loop.time() < deadline:
            if running.process.returncode is not None:
                await asyncio.sleep(0.1)  # let the pump drain the last lines
                tail = "\n".join(running.tail)
                raise StartFailed(f"{spec.name} exited with code {running.process.returncode}:\n{tail}")
            if await self._ready(spec):
                return
            await asyncio.sleep(0.2)
        raise StartFailed(f"{spec.name} did not become ready within {spec.start_timeout:.0f}s:\n" + "\n".join(running.tail))

    async def _ready(self, spec: ServiceSpec) -> bool:
        if spec.port is None:
            return True
        if spec.ready_path is None:
            return port_in_use(spec.port)
        try:
            async with httpx.AsyncClient(timeout=1.0) as client:
                response = await client.get(f"http://127.0.0.1:{spec.port}{spec.ready_path}")
            return response.status_code < 500
        except httpx.HTTPError:
            return False

    async def stop(self, name: str, timeout: float = 15.0) -> None:
        running = self._running.pop(name, None)
        if running is None:
            return
        process = running.process
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, getattr(signal, running.spec.stop_signal))
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        if running.pump:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(running.pump, 2)

    def kill(self, name: str) -> None:
        """SIGKILL a service (fault tests); it stays registered until stop() reaps it."""
        running = self._running[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(running.process.pid, signal.SIGKILL)

    async def stop_all(self) -> None:
        for name in reversed(list(self._running)):
            await self.stop(name)

    async def keep_alive(self, stop: asyncio.Event, *, on_event: Callable[[dict[str, Any]], None] | None = None,
                         base_delay: float = 1.0, max_delay: float = 30.0, healthy_after: float = 60.0) -> None:
        """Restart any service that exits on its own, with a doubling delay (reset once it has
        run `healthy_after` seconds), until `stop` is set. Every exit and restart is reported
        through `on_event` (the log line and the status file `cognitest status` shows)."""
        loop = asyncio.get_running_loop()
        restarts: dict[str, int] = {}
        started_at = {name: loop.time() for name in self._running}
        while not stop.is_set() and self._running:
            exited = asyncio.create_task(self.wait_any_exit())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not exited.done():
                exited.cancel()
                return
            stopping.cancel()
            dead = exited.result()
            name, code = dead.spec.name, dead.process.returncode
            tail = "\n".join(list(dead.tail)[-5:])
            with contextlib.suppress(ProcessLookupError, PermissionError):
                # what it left behind (PostgreSQL's backends outlive a killed postmaster and would
                # keep its shared memory, refusing the restart)
                os.killpg(dead.process.pid, signal.SIGKILL)
            await self.stop(name)
            if loop.time() - started_at.get(name, 0.0) >= healthy_after:
                restarts[name] = 0
            restarts[name] = restarts.get(name, 0) + 1
            delay = min(base_delay * 2 ** (restarts[name] - 1), max_delay)
            if on_event:
                on_event({"service": name, "event": "exited", "code": code, "restarts": restarts[name],
                          "restart_in_s": delay, "last_lines": tail})
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                if stop.is_set():
                    return
                try:
                    await self.start(dead.spec)
                    started_at[name] = loop.time()
                    if on_event:
                        on_event({"service": name, "event": "restarted", "restarts": restarts[name]})
                    break
                except StartFailed as exc:
                    await self.stop(name)
                    delay = min(delay * 2, max_delay)
                    if on_event:
                        on_event({"service": name, "event": "restart_failed", "error": str(exc)[:300],
                                  "restart_in_s": delay})

    async def wait_any_exit(self) -> Running:
        """Return the first service that exits on its own."""
        waits = {asyncio.create_task(r.process.wait()): r for r in self._running.values()}
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return waits[next(iter(done))]
