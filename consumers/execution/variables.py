"""`{{name}}` placeholders in step values, filled from the environment and saved values, and
Postman's dynamic variables (`{{$guid}}`, `{{$timestamp}}`, `{{$randomInt}}` ...). A placeholder
left unfilled is an error of the step that sends it, never sent as literal text."""

import random
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{\s*(\$?[A-Za-z_][\w.-]*)\s*\}\}")
_PATH_VARIABLE = re.compile(r"/:([A-Za-z_]\w*)(?=/|\?|#|$)")
_DYNAMIC = {
    "$guid": lambda: str(uuid.uuid4()), "$randomUUID": lambda: str(uuid.uuid4()),
    "$timestamp": lambda: str(int(time.time())), "$isoTimestamp": lambda: datetime.now(UTC).isoformat(),
    "$randomInt": lambda: str(random.randint(0, 1000)),
    "$randomEmail": lambda: f"user{random.randint(0, 10**6)}@example.com",
    "$randomFirstName": lambda: random.choice(["Ada", "Grace", "Alan", "Linus", "Margaret"]),
    "$randomLastName": lambda: random.choice(["Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton"]),
}


class Unresolved(ValueError):
    """A step would send a placeholder nobody filled."""


def _value(name: str, variables: dict[str, Any], original: str) -> str:
    if name in variables:
        return str(variables[name])
    if name in _DYNAMIC:
        return _DYNAMIC[name]()
    return original


def render(value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value.strip())
        if whole and whole.group(1) in variables:  # keep the type of a lone placeholder (numbers, objects)
            return variables[whole.group(1)]
        return _PLACEHOLDER.sub(lambda m: _value(m.group(1), variables, m.group(0)), value)
    if isinstance(value, list):
        return [render(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: render(v, variables) for k, v in value.items()}
    return value


def unresolved(value: Any) -> list[str]:
    """The placeholders a rendered value still holds (`{{name}}`, and `:name` path segments in a URL)."""
    if isinstance(value, str):
        return [f"{{{{{m}}}}}" for m in _PLACEHOLDER.findall(value)]
    if isinstance(value, list):
        return [n for v in value for n in unresolved(v)]
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in unresolved(k) + unresolved(v)]
    return []


def require_resolved(what: str, value: Any, *, url: bool = False) -> None:
    missing = unresolved(value)
    if url and isinstance(value, str):
        path = value.split("://", 1)[-1]
        missing += [f":{m}" for m in _PATH_VARIABLE.findall(path[path.find("/"):] if "/" in path else "")]
    if missing:
        raise Unresolved(f"{what} has unresolved variable(s) {', '.join(dict.fromkeys(missing))}: nothing was sent "
                         "(set them in the environment or save them from an earlier response)")
