"""Rendering pages: one Jinja2 environment (autoescaped), the signed-in caller and the current
project in every page's context."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from cognitest.infra.identity.permissions import ROLE_PERMISSIONS, Permission

TEMPLATES = Path(__file__).parent / "templates"
env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True,
                  lstrip_blocks=True)


def _ago(value: Any) -> str:
    if not isinstance(value, datetime):
        return "" if value is None else str(value)
    seconds = int((datetime.now(UTC) - value).total_seconds())
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else ("" if value is None else str(value))


env.filters["ago"] = _ago
env.filters["when"] = _when


def query(request: Request, **changes: Any) -> str:
    """The current query string with some parameters changed (None removes one)."""
    params = {k: v for k, v in request.query_params.multi_items() if k not in changes}
    items = list(params.items()) + [(k, v) for k, v in changes.items() if v not in (None, "")]
    return "?" + urlencode(items)


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    role = getattr(request.state, "role", None)
    allowed = ROLE_PERMISSIONS.get(role, frozenset()) if role is not None else frozenset()
    html = env.get_template(template).render(
        request=request, principal=principal, role=role, csrf=getattr(principal, "csrf", None) or "",
        can=lambda permission: Permission(permission) in allowed, query=lambda **kw: query(request, **kw), **context)
    return HTMLResponse(html, status_code=status)
