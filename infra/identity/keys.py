"""The instance's own secrets: the admin token and the keys that encrypt integration secrets.

Settings win; otherwise each is generated once into DATA_DIR/secrets (0600), so every process of
an embedded stack, sharing the data directory, agrees on them without any setup."""

import base64
from collections.abc import Callable
import os
import secrets
from pathlib import Path

from cognitest.infra.secret_files import stored_secret as stored_in
from cognitest.infra.settings import Settings


def stored_secret(settings: Settings, name: str, make: Callable[[], str]) -> str:
    return stored_in(settings.data_dir, name, make)


def admin_token(settings: Settings) -> str:
    if settings.auth.admin_token is not None:
        return settings.auth.admin_token.get_secret_value()
    return stored_secret(settings, "admin-token", lambda: "ct_admin_" + secrets.token_urlsafe(32))


def secret_keys(settings: Settings) -> list[str]:
    if settings.security.secret_keys:
        return [key.get_secret_value() for key in settings.security.secret_keys]
    return [stored_secret(settings, "secret-key", lambda: base64.urlsafe_b64encode(os.urandom(32)).decode())]


def stored_admin_token(data_dir: Path) -> str | None:
    """The local stack's admin token, for the CLI on the same machine (None when there is none)."""
    try:
        return (Path(data_dir) / "secrets" / "admin-token").read_text().strip() or None
    except OSError:
        return None
