"""Test tools the suite installs itself when missing: a Chromium for Playwright and an Appium
server with the fake driver. A tool that cannot be installed fails the tests loudly (never skips)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".cognitest-tools"


def ensure_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True)
        done = subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, capture_output=True, text=True)
        if done.returncode == 0 and shutil.which("chromium"):
            return shutil.which("chromium")  # type: ignore[return-value]
    done = subprocess.run(["playwright", "install", "chromium"], capture_output=True, text=True)
    if done.returncode == 0:
        return ""  # Playwright's own browser
    pytest.fail("no Chromium: install Debian's chromium (apt-get install chromium) or run `playwright install chromium`")


def ensure_appium() -> Path:
    """Appium 3 and @appium/fake-driver in .cognitest-tools/appium, the driver installed from there."""
    home = TOOLS / "appium"
    binary = home / "node_modules" / ".bin" / "appium"
    if not binary.exists():
        npm_install(home, ["appium@3", "@appium/fake-driver"], "Appium for the mobile tests")
    appium_home = home / "appium-home"
    env = {**os.environ, "APPIUM_HOME": str(appium_home)}
    listed = subprocess.run([str(binary), "driver", "list", "--installed", "--json"], env=env, capture_output=True, text=True)
    if "fake" not in listed.stdout:
        done = subprocess.run([str(binary), "driver", "install", "--source=local",
                               str(home / "node_modules" / "@appium" / "fake-driver")], env=env, capture_output=True,
                              text=True, timeout=600)
        if done.returncode != 0:
            pytest.fail(f"could not install the Appium fake driver: {done.stderr[-2000:]}")
    return binary


def ensure_axe() -> Path:
    """axe-core (npm) for the accessibility checks of the web UI: the path of axe.min.js."""
    home = TOOLS / "axe"
    script = home / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm_install(home, ["axe-core@4"], "axe-core for the accessibility tests")
    return script


def npm_install(home: Path, packages: list[str], what: str) -> None:
    if not shutil.which("npm"):
        pytest.fail(f"npm is needed to install {what}")
    home.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["npm", "install", "--silent", "--prefix", str(home), *packages],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.fail(f"could not install {what} with npm: {done.stderr[-2000:]}")
