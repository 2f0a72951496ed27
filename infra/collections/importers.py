"""API collections from Postman Collection v2.1 and OpenAPI 3 documents, detected by content.
What cannot be imported is reported with the reason, never dropped silently."""

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml


class CollectionFormatError(ValueError):
    pass


@dataclass
class Imported:
    name: str
    description: str | None
    requests: list[dict[str, Any]]
    environment: dict[str, Any]
    imported_from: str
    skipped: list[dict[str, Any]] = field(default_factory=list)


def load_document(data: bytes) -> dict[str, Any]:
    text = data.decode("utf-8-sig", errors="replace")
    try:
        loaded = json.loads(text)
    except ValueError:
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise CollectionFormatError(f"neither JSON nor YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(loaded, dict):
        raise CollectionFormatError("the document is not an object")
    return loaded


def import_collection(data: bytes) -> Imported:
    document = load_document(data)
    info = document.get("info") if isinstance(document.get("info"), dict) else {}
    try:
        if "openapi" in document and str(document["openapi"]).startswith("3"):
            return from_openapi(document)
        if "item" in document and ("postman" in str(info.get("schema", "")) or "_postman_id" in info):
            return from_postman(document)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
        # a document of the right kind whose parts have the wrong shape (a string where an object
        # belongs, a list for a map ...): say so instead of failing on it
        kind = "OpenAPI 3" if "openapi" in document else "Postman Collection"
        raise CollectionFormatError(f"not a valid {kind} document: a part has the wrong shape ({type(exc).__name__}: "
                                    f"{str(exc)[:200]})") from None
    if "swagger" in document:
        raise CollectionFormatError("Swagger 2.0 is not supported: convert it to OpenAPI 3")
    raise CollectionFormatError("not a Postman Collection v2.1 nor an OpenAPI 3 document")


# --- Postman -----------------------------------------------------------------------------

_PM_VAR = re.compile(r"\{\{\s*([^}]+?)\s*\}\}")


def _pm_url(url: Any) -> str:
    """The request URL, with its path variables (`/:id` and `url.variable`) filled where the
    collection gives them a value (which may itself be a `{{variable}}`); an empty one stays `:id`
    so the run reports it unresolved instead of sending it."""
    if isinstance(url, str):
        return url
    if not isinstance(url, dict):
        return ""
    if url.get("raw"):
        text = str(url["raw"])
    else:
        host = url.get("host") or []
        path = url.get("path") or []
        text = (".".join(host) if isinstance(host, list) else str(host)) + "/" + (
            "/".join(str(p) for p in path) if isinstance(path, list) else str(path))
    for variable in url.get("variable") or []:
        key, value = variable.get("key"), variable.get("value")
        if key and value not in (None, ""):
            text = re.sub(rf"/:{re.escape(str(key))}(?=[/?#]|$)", lambda _: f"/{value}", text)  # noqa: B023  used at once
    return text


def _pm_auth(auth: dict[str, Any] | None) -> dict[str, str]:
    if not auth:
        return {}
    kind = auth.get("type")
    values = {i.get("key"): i.get("value") for i in auth.get(kind, [])} if isinstance(auth.get(kind), list) else {}
    if kind == "bearer":
        return {"Authorization": f"Bearer {values.get('token', '')}"}
    if kind == "apikey" and values.get("in", "header") == "header":
        return {str(values.get("key", "X-API-Key")): str(values.get("value", ""))}
    if kind == "basic":
        import base64

        token = base64.b64encode(f"{values.get('username', '')}:{values.get('password', '')}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    if kind == "noauth":
        return {}
    raise CollectionFormatError(f"auth type {kind!r}")


def _scripts(item: dict[str, Any], outer: dict[str, list[str]]) -> dict[str, list[str]]:
    """The scripts that run around an item's requests by event (prerequest, test): the outer
    levels' (collection, then folders) first, then its own, as Postman runs them."""
    found = {listen: list(sources) for listen, sources in outer.items()}
    for event in item.get("event", []) or []:
        exec_ = (event.get("script") or {}).get("exec") or []
        source = ("\n".join(exec_) if isinstance(exec_, list) else str(exec_)).strip()
        if source and event.get("listen") in ("prerequest", "test"):
            found.setdefault(event["listen"], []).append(source[:50_000])
    return found


def from_postman(document: dict[str, Any]) -> Imported:
    info = document.get("info") or {}
    environment = {v.get("key"): v.get("value") for v in document.get("variable", []) or [] if v.get("key")}
    requests: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    root_auth = document.get("auth")

    def walk(items: list[dict[str, Any]], folder: list[str], auth: Any, folder_scripts: dict[str, list[str]]) -> None:
        for item in items:
            name = item.get("name") or "request"
            if "item" in item:
                walk(item["item"], [*folder, name], item.get("auth") or auth, _scripts(item, folder_scripts))
                continue
            request = item.get("request")
            where = " / ".join([*folder, name])
            if not isinstance(request, dict):
                skipped.append({"name": where, "reason": "no request"})
                continue
            try:
                headers = {h["key"]: h.get("value", "") for h in request.get("header", []) or [] if not h.get("disabled")}
                headers.update(_pm_auth(request.get("auth") or auth))
            except CollectionFormatError as exc:
                skipped.append({"name": where, "reason": f"unsupported {exc}"})
                continue
            body: Any = None
            raw_body = request.get("body") or {}
            mode = raw_body.get("mode")
            if mode == "raw":
                text = raw_body.get("raw", "")
                try:
                    body = json.loads(text) if text.strip() else None
                except ValueError:
                    body = text
            elif mode in ("formdata", "file", "graphql"):
                skipped.append({"name": where, "reason": f"body mode {mode!r} is not supported"})
                continue
            elif mode == "urlencoded":
                body = "&".join(f"{p['key']}={p.get('value', '')}" for p in raw_body.get("urlencoded", []))
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            entry: dict[str, Any] = {"name": where, "method": str(request.get("method", "GET")).upper(),
                                     "url": _pm_url(request.get("url")), "headers": headers}
            if body is not None:
                entry["body"] = body
            scripts = _scripts(item, folder_scripts)  # the collection's and folders' scripts run too
            if scripts:
                entry["scripts"] = scripts
            requests.append(entry)

    walk(document.get("item", []), [], root_auth, _scripts(document, {}))
    return Imported(name=str(info.get("name") or "Postman collection"), description=info.get("description"),
                    requests=requests, environment=environment, imported_from="postman", skipped=skipped)


# --- OpenAPI ----------------------------------------------------------------------------

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _resolve(document: dict[str, Any], node: Any, depth: int = 0) -> Any:
    if depth > 20:
        return {}
    if isinstance(node, dict):
        if "$ref" in node and isinstance(node["$ref"], str) and node["$ref"].startswith("#/"):
            target: Any = document
            for part in node["$ref"][2:].split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            return _resolve(document, target, depth + 1)
        return {k: _resolve(document, v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(document, v, depth + 1) for v in node]
    return node


def _example(schema: dict[str, Any], depth: int = 0) -> Any:
    if "example" in schema:
        return schema["example"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {k: _example(v, depth + 1) for k, v in (schema.get("properties") or {}).items() if depth < 6}
    if kind == "array":
        return [_example(schema.get("items") or {}, depth + 1)]
    return {"integer": 1, "number": 1.0, "boolean": True, "string": schema.get("format", "text")}.get(kind, None)


# the small file a generated upload sends (never a file of the machine running the tests)
SAMPLE_FILE = "cognitest sample upload\n"


def _multipart(schema: dict[str, Any]) -> dict[str, Any]:
    """Form fields from the schema's examples, and a small generated file for each binary field
    (a schema that names none still gets one `file`, as most upload endpoints expect)."""
    fields: dict[str, Any] = {}
    files: dict[str, Any] = {}
    for key, prop in (schema.get("properties") or {}).items():
        prop = prop or {}
        if prop.get("format") in ("binary", "base64") or prop.get("contentMediaType") or prop.get("type") == "file":
            files[key] = {"filename": f"sample-{key}.txt", "content": SAMPLE_FILE, "content_type": "text/plain"}
        else:
            value = _example(prop)
            fields[key] = value if isinstance(value, str) else json.dumps(value)
    if not files:
        files["file"] = {"filename": "sample.txt", "content": SAMPLE_FILE, "content_type": "text/plain"}
    return {"fields": fields, "files": files}


def from_openapi(document: dict[str, Any]) -> Imported:
    info = document.get("info") or {}
    servers = document.get("servers") or []
    environment = {"base_url": servers[0]["url"]} if servers and isinstance(servers[0], dict) and "url" in servers[0] else {}
    requests: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for path, item in (document.get("paths") or {}).items():
        item = _resolve(document, item)
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            name = operation.get("operationId") or f"{method.upper()} {path}"
            params = [*item.get("parameters", []), *operation.get("parameters", [])]
            url = path
            query = []
            for param in params:
                sample = param.get("example", _example(param.get("schema") or {}))
                if param.get("in") == "path":
                    url = url.replace("{" + param["name"] + "}", str(sample))
                elif param.get("in") == "query" and param.get("required"):
                    query.append(f"{param['name']}={sample}")
            entry: dict[str, Any] = {"name": name, "method": method.upper(),
                                     "url": "{{base_url}}" + url + ("?" + "&".join(query) if query else "")}
            body = operation.get("requestBody") or {}
            content = body.get("content") or {}
            if content:
                json_type = next((t for t in content if t == "application/json" or t.endswith("+json")), None)
                if json_type:
                    media = content[json_type]
                    entry["body"] = media.get("example") or _example(media.get("schema") or {})
                elif "multipart/form-data" in content:
                    entry["multipart"] = _multipart(content["multipart/form-data"].get("schema") or {})
                elif "application/octet-stream" in content:
                    entry["file_body"] = {"filename": "sample.bin", "content": SAMPLE_FILE,
                                          "content_type": "application/octet-stream"}
                elif "application/x-www-form-urlencoded" in content:
                    form = _example(content["application/x-www-form-urlencoded"].get("schema") or {}) or {}
                    entry["body"] = "&".join(f"{k}={v}" for k, v in (form.items() if isinstance(form, dict) else []))
                    entry["headers"] = {"Content-Type": "application/x-www-form-urlencoded"}
                else:
                    skipped.append({"name": name, "reason": f"request body type {', '.join(content)} is not supported"})
                    continue
            responses = operation.get("responses") or {}
            ok = next((code for code in responses if str(code).startswith("2")), None)
            checks: dict[str, Any] = {}
            if ok is not None and str(ok).isdigit():
                checks["status"] = int(ok)
                schema = ((responses[ok].get("content") or {}).get("application/json") or {}).get("schema")
                if schema:
                    checks["schema"] = schema
            entry["assert"] = checks
            if "security" in operation or "security" in document:
                entry["note"] = "set the credentials in the environment"
            requests.append(entry)
    return Imported(name=str(info.get("title") or "OpenAPI collection"), description=info.get("description"),
                    requests=requests, environment=environment, imported_from="openapi", skipped=skipped)
