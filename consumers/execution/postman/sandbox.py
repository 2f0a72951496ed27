"""Postman scripts run in Postman's own runtime: one Node.js process per execution process with the
`postman-sandbox` package (what Postman and newman use: `pm.*`, chai's `pm.expect`, the legacy
`tests[]`/`responseBody`/`postman.*` API, lodash, CryptoJS ...). Python keeps the HTTP: requests
are sent by the API session (and pass the execution guard), `pm.sendRequest` comes back here to be
sent the same way. Without Node.js a script cannot run, and its request says so ("blocked")."""

import asyncio
import itertools
import json
import os
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from cognitest.infra.settings import ExecutionSettings

log = structlog.get_logger(__name__)
HOST = Path(__file__).with_name("host.js")
PACKAGE = "postman-sandbox@6"
INSTALL_SECONDS = 600.0
START_SECONDS = 60.0
RETRY_AFTER_SECONDS = 60.0

Send = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]  # pm.sendRequest: request JSON -> response JSON


class ScriptsUnavailable(RuntimeError):
    """Postman scripts cannot run on this host (no Node.js, the package could not be installed)."""


@dataclass
class ScriptResult:
    error: str | None
    assertions: list[dict[str, Any]] = field(default_factory=list)
    scopes: dict[str, dict[str, Any]] = field(default_factory=dict)
    request: dict[str, Any] | None = None
    console: list[dict[str, Any]] = field(default_factory=list)
    skipped: bool = False


async def installed_module(prefix: Path, node: str) -> Path:
    """postman-sandbox under the npm prefix, installed there first if it is not (once per host:
    a lock file keeps two execution processes from installing into the same place at once)."""
    module = prefix / "node_modules" / "postman-sandbox"
    if (module / "package.json").exists():
        return module
    npm = shutil.which("npm", path=os.pathsep.join([str(Path(node).parent), os.environ.get("PATH", "")]))
    if npm is None:
        raise ScriptsUnavailable(f"postman-sandbox is not installed in {prefix} and npm was not found to install it")
    prefix.mkdir(parents=True, exist_ok=True)
    lock = await asyncio.to_thread(_lock, prefix / ".install.lock")
    try:
        if (module / "package.json").exists():  # another process installed it while this one waited
            return module
        log.info("postman.installing", package=PACKAGE, prefix=str(prefix))
        process = await asyncio.create_subprocess_exec(
            npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(prefix), PACKAGE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            _, err = await asyncio.wait_for(process.communicate(), INSTALL_SECONDS)
        except TimeoutError:
            process.kill()
            raise ScriptsUnavailable(f"installing {PACKAGE} with npm took over {INSTALL_SECONDS:.0f} s") from None
        if process.returncode != 0 or not (module / "package.json").exists():
            raise ScriptsUnavailable(f"npm could not install {PACKAGE}: {err.decode(errors='replace')[-500:].strip()}")
        return module
    finally:
        lock.close()


def _lock(path: Path) -> Any:
    import fcntl

    handle = path.open("a")
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


class PostmanSandbox:
    """The Node.js process running Postman scripts, started at first need and shared by the cases
    of every run of this execution process; restarted when it dies."""

    def __init__(self, settings: ExecutionSettings) -> None:
        self.settings = settings
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._senders: dict[str, Send] = {}
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._unavailable: tuple[float, str] | None = None

    async def _ensure(self) -> asyncio.subprocess.Process:
        async with self._lock:
            if self._process is not None and self._process.returncode is None:
                return self._process
            loop = asyncio.get_running_loop()
            if self._unavailable and loop.time() - self._unavailable[0] < RETRY_AFTER_SECONDS:
                raise ScriptsUnavailable(self._unavailable[1])
            try:
                self._process = await self._start()
            except ScriptsUnavailable as exc:
                self._unavailable = (loop.time(), str(exc))
                log.warning("postman.unavailable", reason=str(exc))
                raise
            self._unavailable = None
            return self._process

    async def _start(self) -> asyncio.subprocess.Process:
        node = shutil.which(self.settings.node_path or "node")
        if not node:
            raise ScriptsUnavailable(f"Node.js was not found ({self.settings.node_path or 'node on PATH'}): install "
                                     "Node.js 18+ or set COGNITEST_EXECUTION__NODE_PATH")
        prefix = self.settings.postman_sandbox_dir or Path.home() / ".cognitest-postman"
        module = await installed_module(Path(prefix), node)
        try:
            process = await asyncio.create_subprocess_exec(
                node, str(HOST), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL, env={**os.environ, "POSTMAN_SANDBOX_MODULE": str(module)},
                limit=64 * 1024 * 1024)
        except OSError as exc:
            raise ScriptsUnavailable(f"Node.js could not be started ({node}): {exc}") from None
        assert process.stdout is not None
        try:
            first = json.loads(await asyncio.wait_for(process.stdout.readline(), START_SECONDS) or b"{}")
        except (TimeoutError, ValueError):
            first = {"type": "failed", "error": "the Postman sandbox did not answer"}
        if first.get("type") != "ready":
            process.kill()
            raise ScriptsUnavailable(str(first.get("error") or "the Postman sandbox did not start"))
        self._reader = asyncio.create_task(self._read(process))
        log.info("postman.started", module=str(module))
        return process

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        try:
            while line := await process.stdout.readline():
                message = json.loads(line)
                if message.get("type") == "send":
                    asyncio.create_task(self._send(process, message))
                elif message.get("type") == "result":
                    future = self._pending.pop(str(message.get("id")), None)
                    if future is not None and not future.done():
                        future.set_result(message)
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ScriptsUnavailable("the Postman sandbox stopped while running a script"))
            self._pending.clear()

    async def _send(self, process: asyncio.subprocess.Process, message: dict[str, Any]) -> None:
        """pm.sendRequest: sent by Python (through the execution guard), answered to the script."""
        sender = self._senders.get(str(message.get("id")))
        reply: dict[str, Any] = {"type": "reply", "id": message.get("id"), "event": message.get("event")}
        try:
            if sender is None:
                raise RuntimeError("pm.sendRequest outside a running script")
            reply["response"] = await sender(message.get("request") or {})
        except Exception as exc:  # noqa: BLE001  the script gets the error, as Postman would give it
            reply["error"] = f"{type(exc).__name__}: {exc}" if not str(exc).startswith("refused") else str(exc)
        await self._write(process, reply)

    async def _write(self, process: asyncio.subprocess.Process, message: dict[str, Any]) -> None:
        assert process.stdin is not None
        process.stdin.write(json.dumps(message).encode() + b"\n")
        await process.stdin.drain()

    async def run(self, listen: str, source: str, context: dict[str, Any], send: Send) -> ScriptResult:
        """Run one script (`prerequest` or `test`) with its context (request, response and the
        variable scopes as plain objects); the scopes as the script left them."""
        process = await self._ensure()
        execution = f"x{next(self._ids)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[execution] = future
        self._senders[execution] = send
        timeout_ms = self.settings.script_timeout_ms
        try:
            await self._write(process, {"type": "execute", "id": execution, "listen": listen, "source": source,
                                        "context": context, "timeout": timeout_ms})
            # the sandbox enforces the timeout itself; this one only guards against a stuck process
            answer = await asyncio.wait_for(future, timeout_ms / 1000 + self.settings.request_timeout + 10)
        except TimeoutError:
            raise ScriptsUnavailable("the Postman sandbox did not answer") from None
        finally:
            self._pending.pop(execution, None)
            self._senders.pop(execution, None)
        return ScriptResult(error=answer.get("error"), assertions=answer.get("assertions") or [],
                            scopes=answer.get("scopes") or {}, request=answer.get("request"),
                            console=answer.get("console") or [], skipped=bool(answer.get("skipped")))

    async def close(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            if process.stdin is not None:
                process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                process.kill()
        if self._reader is not None:
            self._reader.cancel()
