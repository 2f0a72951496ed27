"""The embedded stack keeps its doors shut on a shared machine: PostgreSQL asks for the
generated password (scram-sha-256), a cluster made by an older version with `trust` is
converted, and the files holding secrets are readable by their owner only."""

import asyncio
import os
import subprocess
from pathlib import Path

import asyncpg
import pytest

from cognitest.infra.embedded.postgres import POSTGRES_BIN_PATH, init_cluster
from cognitest.infra.embedded.supervisor import free_port
from tests.support.stack import PlatformStack


async def _login(port: int, password: str | None) -> str:
    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", password=password, database="postgres",
                                 timeout=5)
    try:
        return await conn.fetchval("SELECT current_user")
    finally:
        await conn.close()


async def test_the_embedded_database_wants_its_password(stack: PlatformStack) -> None:
    port = stack.settings.database.port
    with pytest.raises((asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)):
        await _login(port, None)
    with pytest.raises(asyncpg.InvalidPasswordError):
        await _login(port, "postgres")
    password = (stack.settings.data_dir / "secrets" / "postgres-password").read_text().strip()
    assert await _login(port, password) == "postgres"
    assert password not in stack.settings.database.shown_url


def test_secret_files_are_private(stack: PlatformStack) -> None:
    data = stack.settings.data_dir
    assert oct((data / "secrets").stat().st_mode & 0o777) == "0o700"
    for name in ("postgres-password", "nats-api", "nats-consumers", "nats-worker", "nats-admin"):
        assert oct((data / "secrets" / name).stat().st_mode & 0o777) == "0o600", name
    assert oct((data / "nats.conf").stat().st_mode & 0o777) == "0o600"


async def test_a_trusting_cluster_from_an_older_version_is_converted(tmp_path: Path) -> None:
    pgdata = tmp_path / "old-cluster"
    pgdata.mkdir()
    user = init_cluster.__globals__["_prepare_permissions"](pgdata)
    subprocess.run([str(POSTGRES_BIN_PATH / "initdb"), "-D", str(pgdata), "--auth=trust", "-U", "postgres",
                    "--no-instructions"], user=user, check=True, capture_output=True)
    init_cluster(pgdata, "n3w-s3cret'quote")
    assert "trust" not in [line.split()[-1] for line in (pgdata / "pg_hba.conf").read_text().splitlines()
                           if line.strip() and not line.startswith("#")]
    port = free_port()
    server = subprocess.Popen([str(POSTGRES_BIN_PATH / "postgres"), "-D", str(pgdata), "-h", "127.0.0.1", "-p", str(port),
                               "-c", "unix_socket_directories="], user=user, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(100):
            try:
                assert await _login(port, "n3w-s3cret'quote") == "postgres"
                break
            except (OSError, asyncpg.CannotConnectNowError):
                await asyncio.sleep(0.2)
        else:
            raise AssertionError("the converted cluster did not start")
        with pytest.raises((asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)):
            await _login(port, None)
    finally:
        os.killpg(server.pid, 2)
        server.wait(timeout=30)
