"""`cognitest doctor`: each check finds the problem it is for and says what to do."""

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cognitest.producers.cli import doctor


def test_an_old_python_fails_and_a_current_one_passes() -> None:
    assert doctor.python_check((3, 10)).status == "fail" and "3.11" in doctor.python_check((3, 10)).todo
    assert doctor.python_check((3, 12)).status == "ok"


def test_no_chromium_and_no_node_are_warnings_with_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    chromium = doctor.chromium_check(None)
    assert chromium.status == "warn" and "apt-get install chromium" in chromium.todo
    node = doctor.node_check(None)
    assert node.status == "warn" and "Node.js 18+" in node.todo
    old = tmp_path / "node"
    old.write_text("#!/bin/sh\necho v16.20.0\n")
    old.chmod(0o755)
    assert doctor.node_check(str(old)).status == "warn" and "v16.20.0" in doctor.node_check(str(old)).found


def test_a_busy_port_is_named_and_ports_from_is_suggested() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        found = doctor.ports_check({"NATS": port})
    assert found.status == "warn" and f"NATS {port}" in found.found and "--ports-from" in found.todo


def test_an_unwritable_data_dir_and_a_full_disk_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    [bad] = doctor.data_dir_check(blocker / "data")
    assert bad.status == "fail" and "--data-dir" in bad.todo
    writable, disk = doctor.data_dir_check(tmp_path / "data", min_free=1 << 60)
    assert writable.status == "ok" and disk.status == "fail" and "GB" in disk.todo


def test_the_command_prints_every_check_and_exits_1_on_a_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COGNITEST_DATA_DIR": str(blocker / "data")}
    done = subprocess.run([sys.executable, "-m", "cognitest.producers.cli.main", "doctor", "--json"],
                          capture_output=True, text=True, env=env, timeout=60)
    found = {c["name"]: c for c in json.loads(done.stdout)}
    assert done.returncode == 1 and found["data dir"]["status"] == "fail"
    assert {"python", "chromium", "node", "ports", "data dir"} <= set(found)


def test_ports_from_moves_every_embedded_port_and_refuses_nonsense() -> None:
    from cognitest.infra.settings import Settings
    from cognitest.producers.cli.stack import ports_from

    moved = ports_from(28000)
    assert len(set(moved.values())) == len(moved) == 10 and min(map(int, moved.values())) == 28000
    import os

    old = dict(os.environ)
    try:
        os.environ.update(moved)
        s = Settings()
        assert (s.http.port, s.nats.port, s.database.port, s.temporal.port, s.metrics.knowledge_port) == \
            (28000, 28001, 28003, 28004, 28009)
    finally:
        os.environ.clear()
        os.environ.update(old)
    with pytest.raises(ValueError, match="between 1024"):
        ports_from(70000)
