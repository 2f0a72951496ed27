"""Integration secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under the
instance's keys, newest first so keys can be rotated (MultiFernet decrypts with any of them).

A sealed value is the string `enc:v1:<fernet token>`; it is what events and read models hold.
The API shows MASK in its place and accepts MASK back as "keep the stored value"."""

import copy
from collections.abc import Iterator
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from cognitest.infra.identity.keys import secret_keys
from cognitest.infra.settings import Settings
from cognitest.schemas.integrations import SECRET_FIELDS

PREFIX = "enc:v1:"
MASK = "********"


class SecretUnreadable(ValueError):
    """A sealed secret none of the configured keys can open (the key was changed or lost)."""


class SecretBox:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    @classmethod
    def from_settings(cls, settings: Settings) -> "SecretBox":
        return cls(secret_keys(settings))

    def seal(self, value: str | None) -> str | None:
        if value is None or value == "" or is_sealed(value):
            return value
        return PREFIX + self._fernet.encrypt(value.encode()).decode()

    def open(self, value: str | None, max_age: int | None = None) -> str | None:
        """The plain value (a sealed one older than max_age seconds is refused as unreadable)."""
        if value is None or not is_sealed(value):
            return value
        try:
            return self._fernet.decrypt(value[len(PREFIX):].encode(), ttl=max_age).decode()
        except InvalidToken:
            raise SecretUnreadable("a stored secret cannot be decrypted with the configured keys "
                                   "(COGNITEST_SECURITY__SECRET_KEYS)") from None


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def reveal(box: SecretBox | None, value: str | None) -> str | None:
    return box.open(value) if box is not None else value


# --- where secrets live in documents the API accepts ------------------------------------------
# (notification rules in project settings; webhook secrets and Slack URLs in automation graphs)

def _secret_slots(document: Any) -> Iterator[tuple[tuple[str, str, str], dict[str, Any], str]]:
    """(a stable name for the slot, the dict holding it, its key) for every secret in a document."""
    if not isinstance(document, dict):
        return
    notifications = document.get("notifications")
    rules = notifications.get("rules") if isinstance(notifications, dict) else None
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        if isinstance(rule, dict):
            name = str(rule.get("name") or index)
            yield ("rule", name, "secret"), rule, "secret"
            if rule.get("channel") in ("slack", "webhook"):
                yield ("rule", name, "target"), rule, "target"
    integrations = document.get("integrations")
    if isinstance(integrations, dict):
        for key in SECRET_FIELDS:
            yield ("integrations", "", key), integrations, key
    nodes = document.get("nodes")
    for node in nodes if isinstance(nodes, list) else []:
        config = node.get("config") if isinstance(node, dict) else None
        if isinstance(config, dict):
            yield ("node", str(node.get("id")), "secret"), config, "secret"
            if node.get("type") == "slack":
                yield ("node", str(node.get("id")), "webhook_url"), config, "webhook_url"


def restore_masked(document: Any, previous: Any) -> Any:
    """MASK sent back (a document saved as it was shown) keeps the previous value of that rule's
    (by name) or node's (by id) secret, or clears it when there was none. In place."""
    old = {name: slot.get(key) for name, slot, key in _secret_slots(previous)}
    for name, slot, key in _secret_slots(document):
        if slot.get(key) == MASK:
            slot[key] = old.get(name)
    return document


def seal_document(box: SecretBox, document: Any, previous: Any = None) -> Any:
    """Seal every secret in place (after restoring masked ones from `previous`)."""
    if previous is not None:
        restore_masked(document, previous)
    for _, slot, key in _secret_slots(document):
        if isinstance(slot.get(key), str):
            slot[key] = box.seal(slot[key])
    return document


def mask_document(document: Any) -> Any:
    """A copy with every secret replaced by MASK (for API answers)."""
    shown = copy.deepcopy(document)
    for _, slot, key in _secret_slots(shown):
        if slot.get(key):
            slot[key] = MASK
    return shown


def open_document(box: SecretBox | None, document: Any) -> Any:
    """A copy with every sealed secret opened (for the processes that use them)."""
    if box is None:
        return document
    opened = copy.deepcopy(document)
    for _, slot, key in _secret_slots(opened):
        if is_sealed(slot.get(key)):
            slot[key] = box.open(slot[key])
    return opened
