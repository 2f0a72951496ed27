"""The OpenAPI document tells every answer a route can give, not only its success: each operation
documents the platform's error answers (one `Error` body for all of them) that apply to it — 401
and 403 (authentication and roles), 404 where a path names something, 409 and 413 where a body
creates or changes something, 422 for invalid input, 429 when rate-limited, and 503
when PostgreSQL or NATS is away (or a command's outcome is unknown: retry with the same
Idempotency-Key). Clients generated from the document handle them; schemathesis checks them."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA = {
    "title": "Error", "type": "object", "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "a stable code: not_found, conflict, invalid, unavailable ..."},
        "message": {"type": "string", "description": "what went wrong, for a person"},
        "request_id": {"type": ["string", "null"], "description": "the X-Request-ID of the request, for the logs"},
        "details": {"description": "more: the validation errors, the event id of an unknown outcome ..."},
        "event_id": {"type": "string"}, "event_type": {"type": "string"}, "resource_id": {},
    },
}
WHY = {
    400: "the body cannot be used as sent (not JSON, or nothing to change)",
    401: "not signed in, or the token is not valid",
    403: "the caller's role does not allow this",
    404: "not found (or not in this project), in the path or named in the body",
    409: "conflicts with the current state (an id that exists, a run that has ended ...)",
    413: "the body is too large",
    422: "the input is not valid: the message names the field",
    429: "too many requests (sign-in attempts, token creation ...): wait as Retry-After says",
    503: "PostgreSQL or NATS is unavailable, or the command's outcome is unknown (retry with the same Idempotency-Key)",
}
WRITES = {"post", "put", "patch", "delete"}


def _codes(path: str, method: str) -> list[int]:
    codes = [401, 403, 422, 429, 503]
    if "{" in path or method in WRITES:  # a path naming something, or ids in a body ("not found in this project")
        codes.append(404)
    if method in WRITES:
        codes.append(409)
    if method in ("post", "put", "patch"):
        codes += [400, 413]
    return codes


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error answers to every operation of an OpenAPI document (in place)."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "head", "options", *WRITES}:
                continue
            responses = operation.setdefault("responses", {})
            if any(p.get("name") == "wait" for p in operation.get("parameters") or []):
                # ?wait=true answers with the resource once applied: 201 for a creation, 200 otherwise
                for code, why in (("200", "with ?wait=true: the resource as applied"),
                                  ("201", "with ?wait=true: the created resource as applied")):
                    responses.setdefault(code, {"description": why, "content": {"application/json": {"schema": {}}}})
            for code in _codes(path, method):
                existing = responses.get(str(code))
                if existing is None or code == 422:  # our 422 is an Error body, not FastAPI's {"detail": [...]}
                    responses[str(code)] = {"description": (existing or {}).get("description") or WHY[code],
                                            **reference}
    return schema


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(get_openapi(title=app.title, version=app.version, description=app.description,
                                                      routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
