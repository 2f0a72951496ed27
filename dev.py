#!/usr/bin/env python3
"""Quick start on a fresh machine with only Python 3.11+:

    python3 dev.py up      # install into .venv if needed, then run the platform (cognitest up)
    python3 dev.py test    # install into .venv if needed, then run the whole test suite

Anything after the command is passed on (`python3 dev.py up --port 8080`, `python3 dev.py test -k dlq`).
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("COGNITEST_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".cognitest-install"


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "setup.py"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_installed() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Cognitest needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    if not PY.exists():
        print(f"creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    print("installing Cognitest and its dependencies into .venv ...", flush=True)
    subprocess.run([str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    # setuptools warns on every editable install that a folder named like the package could shadow it;
    # there is no `cognitest` folder here (setup.py maps the top-level folders under that name)
    quiet = {**os.environ, "PYTHONWARNINGS": "ignore:Editable installation"}
    subprocess.run([str(PY), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"], check=True, env=quiet)
    STAMP.write_text(_fingerprint())


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"up", "test", "cli"}:
        sys.exit(__doc__)
    command, rest = sys.argv[1], sys.argv[2:]
    ensure_installed()
    os.chdir(ROOT)
    if command == "up":
        argv = [str(BIN / "cognitest"), "up", *rest]
    elif command == "cli":
        argv = [str(BIN / "cognitest"), *rest]
    else:
        argv = [str(PY), "-m", "pytest", *rest]
    if os.name == "nt":
        raise SystemExit(subprocess.call(argv))
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
