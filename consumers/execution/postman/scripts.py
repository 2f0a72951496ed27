"""What a Postman script sees and what it leaves: the request and response in Postman's JSON shape,
the variable scopes of a collection run, and the checks (`pm.test`, `tests[...]`) it made."""

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

# Postman resolves `{{name}}` from the innermost scope out: local, environment, collection, globals
SCOPE_NAMES = ("globals", "collectionVariables", "environment")


class ScriptBlocked(RuntimeError):
    """A request's scripts cannot run here: the request is reported as blocked, never as passed."""


class RequestSkipped(RuntimeError):
    """A pre-request script called pm.execution.skipRequest()."""


@dataclass
class PostmanScopes:
    """The variable scopes one collection run shares across its requests."""

    globals: dict[str, Any] = field(default_factory=dict)
    collectionVariables: dict[str, Any] = field(default_factory=dict)  # noqa: N815  Postman's name
    environment: dict[str, Any] = field(default_factory=dict)
    started: bool = False

    def start(self, collection: dict[str, Any], seed: dict[str, Any]) -> None:
        """Once per run: the collection's variables, and the run's environment (what the seed has
        beyond the collection's own values)."""
        if self.started:
            return
        self.collectionVariables = dict(collection)
        self.environment = {k: v for k, v in seed.items() if k not in collection or collection[k] != v}
        self.started = True

    def context(self, local: dict[str, Any]) -> dict[str, Any]:
        return {name: dict(getattr(self, name)) for name in SCOPE_NAMES} | {"_variables": dict(local)}

    def take(self, scopes: dict[str, dict[str, Any]], local: dict[str, Any]) -> None:
        """The scopes as a script left them (set and unset both count)."""
        for name in SCOPE_NAMES:
            if name in scopes:
                setattr(self, name, dict(scopes[name]))
        if "_variables" in scopes:
            local.clear()
            local.update(scopes["_variables"])

    def resolved(self, local: dict[str, Any]) -> dict[str, Any]:
        return {**self.globals, **self.collectionVariables, **self.environment, **local}


def request_json(method: str, url: str, headers: dict[str, Any], body: Any) -> dict[str, Any]:
    import json

    shaped: dict[str, Any] = {"url": url, "method": method,
                              "header": [{"key": str(k), "value": str(v)} for k, v in headers.items()]}
    if body is not None:
        shaped["body"] = {"mode": "raw", "raw": body if isinstance(body, str) else json.dumps(body)}
    return shaped


def response_json(response: httpx.Response, ms: float) -> dict[str, Any]:
    return {"code": response.status_code, "status": response.reason_phrase,
            "header": [{"key": k, "value": v} for k, v in response.headers.multi_items()],
            "body": response.text, "responseTime": round(ms)}


def cookies_json(response: httpx.Response) -> list[dict[str, Any]]:
    return [{"name": c.name, "value": c.value, "domain": c.domain, "path": c.path} for c in response.cookies.jar]


def url_text(url: Any) -> str:
    """A URL from Postman's JSON shape (what pm.request / pm.sendRequest hand back) as text."""
    if isinstance(url, str):
        return url
    if not isinstance(url, dict):
        return ""
    if url.get("raw"):
        return str(url["raw"])
    host = url.get("host") or []
    text = ".".join(host) if isinstance(host, list) else str(host)
    if url.get("protocol"):
        text = f"{url['protocol']}://{text}"
    if url.get("port"):
        text += f":{url['port']}"
    path = url.get("path") or []
    text += "/" + "/".join(str(p) for p in path) if isinstance(path, list) and path else (f"/{path}" if path else "")
    query = [(q.get("key"), q.get("value") or "") for q in url.get("query") or [] if q.get("key") and not q.get("disabled")]
    return text + (f"?{urlencode(query)}" if query else "")


def headers_of(request: dict[str, Any] | None) -> dict[str, str] | None:
    """The headers a pre-request script left on pm.request (None when it left none)."""
    if not request or not isinstance(request.get("header"), list):
        return None
    return {str(h["key"]): str(h.get("value", "")) for h in request["header"] if h.get("key") and not h.get("disabled")}


def body_of(request: dict[str, Any]) -> str | None:
    body = request.get("body") or {}
    if body.get("mode") == "raw":
        return str(body.get("raw") or "")
    if body.get("mode") == "urlencoded":
        return urlencode([(p.get("key"), p.get("value") or "") for p in body.get("urlencoded") or []])
    return None


def verdict(assertions: list[dict[str, Any]]) -> str | None:
    """None when every check passed; otherwise what failed, each with its message."""
    failed = [a for a in assertions if not a.get("passed") and not a.get("skipped")]
    if not failed:
        return None
    said = "; ".join(f"{a['name']!r}: {a.get('error') or 'failed'}" for a in failed[:10])
    return f"{len(failed)} of {len(assertions)} Postman test(s) failed: {said}"
