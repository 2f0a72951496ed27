"""Mobile execution against a real Appium server with @appium/fake-driver, driving an app that
an XML file of ours describes."""

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from cognitest.infra.embedded.supervisor import free_port
from tests.conftest import eventually
from tests.support.tools import ensure_appium

APP = """<app>
  <MockWebView>
    <MockInputField id="user" />
    <MockButton id="login">Log in</MockButton>
    <MockListItem id="greeting">Welcome back</MockListItem>
  </MockWebView>
</app>
"""


@pytest.fixture(scope="module")
def appium(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    binary = ensure_appium()
    port = free_port()
    env = {**os.environ, "APPIUM_HOME": str(binary.parents[2] / "appium-home")}
    process = subprocess.Popen([str(binary), "--address", "127.0.0.1", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    import time

    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/status", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("the Appium server did not start")
        time.sleep(0.5)
    app = tmp_path_factory.mktemp("app") / "app.xml"
    app.write_text(APP)
    yield url, app
    process.terminate()
    process.wait(timeout=20)


async def test_tap_type_and_expect_on_a_device(api: httpx.AsyncClient, project: dict, appium: tuple[str, Path]) -> None:
    url, app = appium
    pid = project["id"]
    suite = (await api.post(f"/api/v1/projects/{pid}/suites", params={"wait": "true"}, json={"name": "Mobile"})).json()["id"]
    steps = [{"action": "type", "target": {"test_id": "user"}, "text": "alice"},
             {"action": "expect_value", "target": {"test_id": "user"}, "value": "alice"},
             {"action": "tap", "target": {"accessibility_id": "login"}},
             {"action": "expect_text", "text": "Welcome back"}]
    good = (await api.post(f"/api/v1/projects/{pid}/cases", params={"wait": "true"},
                           json={"title": "sign in on the phone", "suite_id": suite, "executable_steps": steps})).json()
    bad = (await api.post(f"/api/v1/projects/{pid}/cases", params={"wait": "true"}, json={
        "title": "a missing button", "suite_id": suite,
        "executable_steps": [{"action": "tap", "target": {"test_id": "checkout"}}]})).json()
    environment = {"appium_url": url, "capabilities": {"platformName": "Fake", "appium:automationName": "Fake",
                                                      "appium:deviceName": "Fake", "appium:app": str(app)}}
    r = await api.post(f"/api/v1/projects/{pid}/runs", json={"suite_id": suite, "environment": environment, "device": "fake"})
    run_id = r.json()["resource_id"]

    async def ended():
        got = await api.get(f"/api/v1/projects/{pid}/runs/{run_id}")
        return got.json() if got.status_code == 200 and got.json()["status"] in ("completed", "failed") else None
    run = await eventually(ended, timeout=120, interval=0.5)
    results = {r["case_id"]: r for r in (await api.get(f"/api/v1/projects/{pid}/runs/{run_id}/results")).json()["items"]}
    assert results[good["id"]]["outcome"] == "passed", results[good["id"]]
    assert results[bad["id"]]["outcome"] == "failed" and "no element" in results[bad["id"]]["error"]
    assert run["status"] == "failed"
