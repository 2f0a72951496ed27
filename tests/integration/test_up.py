"""`cognitest up`: the whole platform from one command, Ctrl-C stops it, a second start keeps
the data, a taken port gives a clear message."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cognitest.infra.embedded.supervisor import free_port, port_in_use


def up_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COGNITEST_")}
    ports = {name: free_port() for name in ("api", "nats", "mon", "pg", "tmp", "ui")}
    env.update({
        "COGNITEST_DATA_DIR": str(data_dir),
        "COGNITEST_HTTP__PORT": str(ports["api"]),
        "COGNITEST_NATS__PORT": str(ports["nats"]),
        "COGNITEST_NATS__MONITOR_PORT": str(ports["mon"]),
        "COGNITEST_DATABASE__PORT": str(ports["pg"]),
        "COGNITEST_TEMPORAL__PORT": str(ports["tmp"]),
        "COGNITEST_TEMPORAL__UI_PORT": str(ports["ui"]),
    })
    return env


def start_up(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cognitest.producers.cli.main", "up", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for_banner(process: subprocess.Popen, timeout: float = 150) -> str:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if "Press Ctrl-C to stop." in line:
            return "".join(seen)
    process.kill()
    raise AssertionError("up did not come up:\n" + "".join(seen[-60:]))


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGINT)
    try:
        process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode


def first_items(http: httpx.Client, url: str, params: dict[str, str], timeout: float = 60) -> list:  # type: ignore[type-arg]
    """The items of a list endpoint once there are any (empty after the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        items = http.get(url, params=params).json()["items"]
        if items or time.monotonic() > deadline:
            return items
        time.sleep(0.5)


@pytest.mark.slow
def test_up_runs_everything_seeds_the_demo_and_keeps_data(tmp_path: Path) -> None:
    env = up_env(tmp_path / "data")
    api = f"http://127.0.0.1:{env['COGNITEST_HTTP__PORT']}"
    first = start_up(env)
    banner = wait_for_banner(first)
    assert f"API           {api}" in banner and "/docs" in banner
    assert f"Temporal UI   http://127.0.0.1:{env['COGNITEST_TEMPORAL__UI_PORT']}" in banner
    assert "Demo project 'Demo Shop' is ready" in banner
    secrets = tmp_path / "data" / "secrets"
    assert oct((secrets / "admin-token").stat().st_mode & 0o777) == "0o600"
    assert httpx.get(f"{api}/api/v1/projects").status_code == 401  # nothing without signing in
    # the first admin signs in with the generated password; the CLI uses the stored admin token
    signed_in = httpx.post(f"{api}/api/v1/auth/login", json={"email": "admin@localhost",
                                                             "password": (secrets / "admin-password").read_text()})
    assert signed_in.status_code == 200 and signed_in.json()["user"]["is_admin"] is True
    assert f"Web UI        {api}/ui" in banner
    page = httpx.get(f"{api}/ui/projects", cookies=signed_in.cookies)  # the web UI, signed in
    assert page.status_code == 200 and "Demo Shop" in page.text
    http = httpx.Client(headers={"authorization": f"Bearer {(secrets / 'admin-token').read_text()}"})
    projects = http.get(f"{api}/api/v1/projects").json()["items"]
    assert [p["name"] for p in projects] == ["Demo Shop"]
    pid = projects[0]["id"]
    written = http.get(f"{api}/api/v1/projects/{pid}/cases", params={"tag": "checkout"}).json()
    assert written["total"] == 3  # the hand-written demo cases
    documents = http.get(f"{api}/api/v1/projects/{pid}/documents").json()["items"]
    assert [d["status"] for d in documents] == ["parsed"] and len(documents[0]["requirements"]) == 7
    # the demo's generated plan arrives through the pipeline
    generated = first_items(http, f"{api}/api/v1/projects/{pid}/plans", {"tag": "generated"})
    assert generated, "the demo generation did not produce a plan"
    matrix = http.get(f"{api}/api/v1/projects/{pid}/plans/{generated[0]['id']}/traceability").json()
    assert matrix["uncovered"] == [] and matrix["covered"] + matrix["weak"] == matrix["total"] == 7
    automations = http.get(f"{api}/api/v1/projects/{pid}/automations").json()["items"]
    assert sorted(a["name"] for a in automations) == ["Nightly regression → Slack on failure → JIRA for new failures",
                                                      "Release approval"]
    waiting = first_items(http, f"{api}/api/v1/projects/{pid}/executions", {"status": "waiting"})  # waits for a person
    assert waiting and waiting[0]["temporal_url"].startswith(f"http://127.0.0.1:{env['COGNITEST_TEMPORAL__UI_PORT']}/")
    assert http.get(f"{api}/readyz").json()["status"] == "ready"
    assert httpx.get(f"http://127.0.0.1:{env['COGNITEST_TEMPORAL__UI_PORT']}/").status_code == 200
    http.post(f"{api}/api/v1/projects/{pid}/plans", params={"wait": "true"}, json={"name": "kept across restarts"})
    assert stop(first) == 0
    for port in ("COGNITEST_HTTP__PORT", "COGNITEST_NATS__PORT", "COGNITEST_DATABASE__PORT", "COGNITEST_TEMPORAL__PORT"):
        assert not port_in_use(int(env[port])), f"{port} still in use after Ctrl-C"

    second = start_up(env)
    banner = wait_for_banner(second)
    assert "Demo project" not in banner  # seeded once only
    projects = http.get(f"{api}/api/v1/projects").json()["items"]
    assert [p["name"] for p in projects] == ["Demo Shop"]
    plans = http.get(f"{api}/api/v1/projects/{pid}/plans", params={"q": "kept"}).json()["items"]
    assert [p["name"] for p in plans] == ["kept across restarts"]
    assert stop(second) == 0


@pytest.mark.slow
def test_up_refuses_a_taken_port_with_a_clear_message(tmp_path: Path) -> None:
    env = up_env(tmp_path / "data")
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", int(env["COGNITEST_NATS__PORT"])))
    blocker.listen()
    try:
        process = start_up(env, "--no-demo")
        out, _ = process.communicate(timeout=60)
    finally:
        blocker.close()
    assert process.returncode != 0
    assert f"port {env['COGNITEST_NATS__PORT']} for nats is already in use" in out
    assert "Traceback" not in out


def _child(process: subprocess.Popen, *words: str) -> "psutil.Process":  # type: ignore[name-defined]  # noqa: F821
    import psutil

    for child in psutil.Process(process.pid).children(recursive=True):
        try:
            line = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if all(w in line for w in words):
            return child
    raise AssertionError(f"no child process with {words}")


def _drain(process: subprocess.Popen, into: list[str]) -> None:
    import threading

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            into.append(line)

    threading.Thread(target=pump, daemon=True).start()


@pytest.mark.slow
def test_up_restarts_whatever_dies_and_status_says_so(tmp_path: Path) -> None:
    """The death of a child (consumers, nats-server, PostgreSQL) no longer stops the platform:
    `up` restarts it with backoff, the log and `status` say so, and writes work again."""
    env = up_env(tmp_path / "data")
    api = f"http://127.0.0.1:{env['COGNITEST_HTTP__PORT']}"
    process = start_up(env, "--no-demo")
    wait_for_banner(process)
    out: list[str] = []
    _drain(process, out)
    token = (tmp_path / "data" / "secrets" / "admin-token").read_text()
    http = httpx.Client(base_url=api, headers={"authorization": f"Bearer {token}"}, timeout=30)
    try:
        pid = http.post("/api/v1/projects", params={"wait": "true"}, json={"name": "survivor"}).json()["id"]
        for words in (("cognitest.consumers", "--skip"), ("nats-server",), ("postgres", "-D")):
            _child(process, *words).kill()  # SIGKILL: an unclean death
            deadline = time.monotonic() + 120
            while True:  # the platform comes back by itself: a write is applied again
                try:
                    r = http.post(f"/api/v1/projects/{pid}/cases", params={"wait": "true"},
                                  json={"title": f"after {words[0]}"}, headers={"idempotency-key": f"k-{words[0]}"})
                    if r.status_code == 201:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"no recovery after killing {words}:\n" + "".join(out[-40:])
                time.sleep(1)
        status = http.get("/api/v1/status").json()
        restarted = {name: s["restarts"] for name, s in status["services"].items()}
        assert restarted.get("consumers", 0) >= 1 and restarted.get("nats", 0) >= 1 and restarted.get("postgres", 0) >= 1
        assert "restarting it in" in "".join(out)
        assert process.poll() is None, "up itself must keep running"
        cases = http.get(f"/api/v1/projects/{pid}/cases").json()
        assert sorted(c["title"] for c in cases["items"]) == ["after cognitest.consumers", "after nats-server",
                                                              "after postgres"]
    finally:
        http.close()
        assert stop(process) == 0
