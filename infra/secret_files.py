"""Secrets the embedded stack generates once into DATA_DIR/secrets (0700; each file 0600):
the admin token and password, the database and NATS passwords, the sealing key."""

import os
from collections.abc import Callable
from pathlib import Path


def read_secret(data_dir: Path, name: str) -> str | None:
    try:
        return (Path(data_dir) / "secrets" / name).read_text().strip()
    except OSError:
        return None


def stored_secret(data_dir: Path, name: str, make: Callable[[], str]) -> str:
    """The secret `name`, made with `make` the first time (O_EXCL: two processes starting at
    once keep the first one's value)."""
    found = read_secret(data_dir, name)
    if found is not None:
        return found
    folder = Path(data_dir) / "secrets"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = make()
    try:
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return (folder / name).read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
