"""Command lines for the embedded services, each from its PyPI package."""

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cognitest.infra.settings import Settings


class ToolMissing(RuntimeError):
    pass


@dataclass
class ServiceSpec:
    name: str
    argv: list[str]
    port: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    stop_signal: str = "SIGTERM"
    start_timeout: float = 60.0
    ready_path: str | None = None  # HTTP path polled for readiness instead of a bare TCP connect
    color: str = "white"


def _tool(name: str) -> str:
    """Find a binary installed by a PyPI package into this interpreter's environment."""
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if found:
        return found
    raise ToolMissing(f"'{name}' not found: install Cognitest with its dependencies (pip install -e .)")


def nats_spec(settings: Settings) -> ServiceSpec:
    from cognitest.infra.bus.auth import embedded_config

    store = settings.data_dir / "nats"
    store.mkdir(parents=True, exist_ok=True)
    # JetStream settings and the users of the platform's processes (no anonymous access); the
    # file holds their passwords, so only its owner may read it
    conf = settings.data_dir / "nats.conf"
    fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(embedded_config(settings, str(store)))
    os.chmod(conf, 0o600)
    return ServiceSpec(
        name="nats",
        argv=[
            _tool("nats-server"), "-c", str(conf), "-a", "127.0.0.1",
            "-p", str(settings.nats.port), "-m", str(settings.nats.monitor_port),
            "--server_name", "cognitest-embedded",
        ],
        port=settings.nats.port,
        color="cyan",
    )


def temporal_spec(settings: Settings, *, ui: bool = True) -> ServiceSpec:
    store = settings.data_dir / "temporal"
    store.mkdir(parents=True, exist_ok=True)
    argv = [
        _tool("temporal"), "server", "start-dev",
        "--ip", "127.0.0.1",
        "--port", str(settings.temporal.port),
        "--ui-port", str(settings.temporal.ui_port),
        "--db-filename", str(store / "temporal.db"),
        "--namespace", settings.temporal.namespace,
        "--log-level", "warn",
    ]
    if not ui:
        argv.append("--headless")
    return ServiceSpec(name="temporal", argv=argv, port=settings.temporal.port, color="magenta", start_timeout=90)


def platform_spec(name: str, module: str, settings: Settings, *args: str, port: int | None = None,
                  ready_path: str | None = None, color: str = "green") -> ServiceSpec:
    env = settings.service_env()
    env.setdefault("PYTHONUNBUFFERED", "1")
    if not settings.nats.url and not settings.nats.user:
        # the embedded nats-server: the child signs in as its kind of process, with the password
        # it reads from DATA_DIR/secrets (never passed in the environment)
        env["COGNITEST_NATS__USER"] = {"api": "api", "worker": "worker"}.get(name, "consumers")
    return ServiceSpec(
        name=name,
        argv=[sys.executable, "-m", module, *args],
        env=env,
        port=port,
        ready_path=ready_path,
        color=color,
    )


def consumer_specs(settings: Settings) -> list[ServiceSpec]:
    """The consumers as two processes: every group but `knowledge`, and `knowledge` on its own
    (embedding and the local Qdrant store are CPU-heavy and single-owner; apart, they never hold
    up the projection). The knowledge process serves its metrics on its own port."""
    main = platform_spec("consumers", "cognitest.consumers", settings, "run", "--skip", "knowledge", color="yellow")
    knowledge = platform_spec("knowledge", "cognitest.consumers", settings, "run", "--only", "knowledge", color="blue")
    knowledge.env["COGNITEST_METRICS__CONSUMERS_PORT"] = str(settings.metrics.knowledge_port)
    return [main, knowledge]


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0
