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
        if not shutil.which("npm"):
            pytest.fail("npm is needed to install Appium for the mobile tests")
        home.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--silent", "--prefix", str(home), "appium@3", "@appium/fake-driver"],
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            pytest.fail(f"could not install Appium with npm: {done.stderr[-2000:]}")
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
