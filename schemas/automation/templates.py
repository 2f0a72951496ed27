"""Templates in node configurations: `{{ dotted.path }}` looked up in the execution's context.

Deliberately not a general template language: a path lookup is deterministic (safe inside a
Temporal workflow), cannot run code, and can be checked against the graph when it is saved.
A string that is exactly one template keeps the value's type (a list stays a list)."""

import json
import re
from typing import Any

TEMPLATE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\s*\}\}")


def references(value: Any) -> list[str]:
    """Every path referenced by templates anywhere inside a value."""
    if isinstance(value, str):
        return TEMPLATE.findall(value)
    if isinstance(value, dict):
        return [p for v in value.values() for p in references(v)]
    if isinstance(value, list):
        return [p for v in value for p in references(v)]
    return []


def lookup(context: dict[str, Any], path: str) -> Any:
    current: Any = context
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.lstrip("-").isdigit() and -len(current) <= int(part) < len(current):
            current = current[int(part)]
        else:
            return None
        if current is None:
            return None
    return current


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)


def render(value: Any, context: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = TEMPLATE.fullmatch(value.strip())
        if whole:
            return lookup(context, whole.group(1))
        return TEMPLATE.sub(lambda m: _text(lookup(context, m.group(1))), value)
    if isinstance(value, dict):
        return {k: render(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, context) for v in value]
    return value


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def compare(left: Any, op: str, right: Any) -> bool:
    """A condition node's test. Ordering compares numbers when both sides read as numbers."""
    if op == "truthy":
        return bool(left)
    if op == "falsy":
        return not left
    if op == "contains":
        return left is not None and right in left
    if op == "in":
        return right is not None and left in right
    a, b = _number(left), _number(right)
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    try:
        return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]
    except TypeError:
        return False
