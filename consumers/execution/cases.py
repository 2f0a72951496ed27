"""Running one case: pick the engine from its steps, retry as configured, time every step, keep
the log and the artifacts. A case that fails and then passes is flaky, not passed."""

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from cognitest.consumers.execution.api_runner import ApiSession, StepFailed
from cognitest.consumers.execution.mobile_runner import MobileCase
from cognitest.consumers.execution.postman.sandbox import PostmanSandbox
from cognitest.consumers.execution.postman.scripts import PostmanScopes, RequestSkipped, ScriptBlocked
from cognitest.consumers.execution.uploads import ProjectFiles
from cognitest.consumers.execution.web_runner import WebBrowsers, WebCase
from cognitest.infra.blob import BlobStore
from cognitest.infra.execution_guard import TargetPolicy, TargetRefused
from cognitest.infra.settings import ExecutionSettings

MOBILE = {"tap", "type", "swipe", "back"}
API = {"request", "expect_status", "expect_header", "expect_json", "expect_json_schema"}
NEUTRAL = {"set_var"}


@dataclass
class CaseSpec:
    case_id: UUID
    title: str
    steps: list[dict[str, Any]]
    browser: str | None = None
    shared: dict[str, Any] | None = None  # variables shared with the cases after it (collection chaining)
    scopes: PostmanScopes | None = None  # a Postman collection run's variable scopes, shared the same way
    collection_variables: dict[str, Any] = field(default_factory=dict)


@dataclass
class CaseOutcome:
    outcome: str
    attempts: int
    duration_ms: int
    error: str | None = None
    log: list[dict[str, Any]] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)


_SAID = ("Expected", "Received", "Actual value", "Unexpected value")


def failure_text(exc: BaseException) -> str:
    """The first line of an engine's error and what it expected and actually found (Playwright
    puts "Expected: 1" and "Received: 0" on lines of their own: without them a failure only says
    "expected count 1")."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    said = [line for line in lines[1:12] if line.startswith(_SAID)]
    return "; ".join([lines[0], *said])[:2000]


def engine_of(steps: list[dict[str, Any]], device: str | None) -> str:
    actions = {s["action"] for s in steps} - NEUTRAL
    if not actions:
        return "manual"
    if device or actions & MOBILE:
        return "mobile"
    if actions <= API:
        return "api"
    return "web"


class CaseRunner:
    def __init__(self, settings: ExecutionSettings, blobs: BlobStore, policy: TargetPolicy | None = None,
                 sandbox: PostmanSandbox | None = None, files: ProjectFiles | None = None) -> None:
        self.settings = settings
        self.files = files  # the run's project's own files, for upload steps
        self.blobs = blobs
        self.sandbox = sandbox
        self.policy = policy or TargetPolicy(tuple(settings.allowed_hosts), settings.allow_private_targets)
        self.browsers = WebBrowsers(settings.chromium_path)

    async def close(self) -> None:
        await self.browsers.close()

    async def run(self, case: CaseSpec, environment: dict[str, Any], device: str | None, retries: int) -> CaseOutcome:
        engine = engine_of(case.steps, device)
        if engine == "manual":
            return CaseOutcome("manual", 0, 0, log=[{"note": "no executable steps: to do by hand"}])
        started = time.perf_counter()
        failures: list[str] = []
        log: list[dict[str, Any]] = []
        artifacts: list[dict[str, Any]] = []
        for attempt in range(1, retries + 2):
            error, attempt_log, attempt_artifacts, checks = await self._attempt(engine, case, environment)
            log += [{"attempt": attempt, **entry} for entry in attempt_log]
            artifacts += attempt_artifacts
            if error is not None and error.startswith(("blocked:", "skipped:")):
                kind = "error" if error.startswith("blocked:") else "skipped"
                return CaseOutcome(kind, attempt, _ms(started), error, log, artifacts)
            if error is None and engine == "api" and checks == 0:
                # never green by omission: a request nothing checked is not a pass
                return CaseOutcome("unverified", attempt, _ms(started), "no assertion: the request was sent but nothing "
                                   "checked its answer (add assert.status or a pm.test)", log, artifacts)
            if error is None:
                outcome = "flaky" if failures else "passed"
                return CaseOutcome(outcome, attempt, _ms(started), "; ".join(failures) or None, log, artifacts)
            failures.append(error)
            if error.startswith("refused:"):
                break  # the guard will refuse again
        kind = "error" if failures[-1].startswith(("refused:", "error:")) else "failed"
        return CaseOutcome(kind, len(failures), _ms(started), failures[-1], log, artifacts)

    async def _attempt(self, engine: str, case: CaseSpec, env: dict[str, Any]) -> tuple[str | None, list, list, int]:
        log: list[dict[str, Any]] = []
        # a collection keeps its variables flat in its environment (token, currency, ...), a run
        # under `variables`: both fill `{{name}}` (the run's win)
        seed = {k: v for k, v in env.items()
                if k not in ("variables", "capabilities", "appium_url") and isinstance(v, str | int | float | bool)}
        seed.update(env.get("variables") or {})
        if case.shared is not None:
            for name, value in seed.items():
                case.shared.setdefault(name, value)
            variables = case.shared
        else:
            variables = seed
        if case.scopes is not None:
            case.scopes.start(case.collection_variables, seed)
        with tempfile.TemporaryDirectory(prefix="cognitest-case-") as tmp:
            session: Any = None
            try:
                if engine == "api":
                    session = ApiSession(env.get("base_url"), variables, self.policy,
                                         self.settings.request_timeout, share=case.shared is not None,
                                         sandbox=self.sandbox, scopes=case.scopes)
                elif engine == "web":
                    browser = await self.browsers.browser(case.browser or "chromium")
                    session = await WebCase.open(browser, env.get("base_url"), variables, self.settings.step_timeout_ms,
                                                 self.policy, log, Path(tmp), self.settings.fixtures_dir, self.files)
                else:
                    session = await MobileCase.open(env.get("appium_url") or self.settings.appium_url or "",
                                                    env.get("capabilities") or {}, variables)
                error = await self._steps(session, case.steps, log, engine)
            except TargetRefused as exc:
                error = f"refused: {exc}"
            except ScriptBlocked as exc:
                error = f"blocked: {exc}"
            except RequestSkipped as exc:
                error = f"skipped: {exc}"
            except StepFailed as exc:
                error = str(exc)
            except Exception as exc:  # noqa: BLE001  the engine itself broke: report, don't crash the run
                error = f"error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            checks = getattr(session, "checks", 1)  # web and mobile steps are checks in themselves
            artifacts = await self._close(session, engine, failed=error is not None)
        return error, log, artifacts, checks

    async def _steps(self, session: Any, steps: list[dict[str, Any]], log: list[dict[str, Any]], engine: str) -> str | None:
        for index, step in enumerate(steps, start=1):
            started = time.perf_counter()
            try:
                if engine == "api":
                    await session.run(step, log)
                else:
                    await session.run(step)
            except (StepFailed, AssertionError, TimeoutError) as exc:
                log.append({"step": index, "action": step["action"], "ms": _ms(started), "ok": False})
                return f"step {index} ({step['action']}): {failure_text(exc)}"
            except (TargetRefused, ScriptBlocked, RequestSkipped):
                raise
            except Exception as exc:  # noqa: BLE001  Playwright errors (timeouts, detached elements) are step failures
                log.append({"step": index, "action": step["action"], "ms": _ms(started), "ok": False})
                return f"step {index} ({step['action']}): {failure_text(exc)}"
            log.append({"step": index, "action": step["action"], "ms": _ms(started), "ok": True})
        return None

    async def _close(self, session: Any, engine: str, failed: bool) -> list[dict[str, Any]]:
        if session is None:
            return []
        if engine == "api":
            await session.close()
            return []
        if engine == "mobile":
            await session.close()
            return []
        kept = await session.finish(failed)
        artifacts = []
        for kind, path in kept:
            data = path.read_bytes()
            ref, _ = await self.blobs.put(data, media_type="image/png" if kind == "screenshot" else "application/zip")
            artifacts.append({"kind": kind, "name": path.name, "ref": ref, "bytes": len(data)})
        return artifacts


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
