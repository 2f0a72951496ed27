"""API steps through httpx: requests with variables, chaining (save values by JSON path), and
assertions on status, headers, JSON path values and JSON Schema; requests imported from Postman
with their pre-request and test scripts. Every request and redirect passes the execution guard."""

import time
from typing import Any

import httpx
import jsonschema
from jsonpath_ng.ext import parse as jsonpath

from cognitest.consumers.execution.postman.sandbox import PostmanSandbox, ScriptResult, ScriptsUnavailable
from cognitest.consumers.execution.postman.scripts import (
    PostmanScopes, RequestSkipped, ScriptBlocked, body_of, cookies_json, headers_of, request_json, response_json,
    url_text, verdict,
)
from cognitest.consumers.execution.variables import Unresolved, render, require_resolved
from cognitest.infra.execution_guard import TargetPolicy, TargetRefused


class StepFailed(AssertionError):
    pass


class ApiSession:
    def __init__(self, base_url: str | None, variables: dict[str, Any], policy: TargetPolicy,
                 timeout: float, share: bool = False, sandbox: PostmanSandbox | None = None,
                 scopes: PostmanScopes | None = None) -> None:
        self.variables = variables if share else dict(variables)
        if base_url:
            self.variables.setdefault("base_url", base_url.rstrip("/"))
        self.policy = policy
        self.sandbox, self.scopes = sandbox, scopes
        self.checks = 0  # assertions made (steps and Postman tests): none means nothing was verified

        async def guard(request: httpx.Request) -> None:
            self.policy.check(str(request.url))  # also runs for each redirect

        self.client = httpx.AsyncClient(timeout=timeout, follow_redirects=True, event_hooks={"request": [guard]})
        self.response: httpx.Response | None = None
        self._json: Any = None

    async def close(self) -> None:
        await self.client.aclose()

    def _url(self, url: str, variables: dict[str, Any]) -> str:
        url = render(url, variables)
        if url.startswith("/") and "base_url" in variables:
            url = str(variables["base_url"]) + url
        return url

    def _body(self) -> Any:
        if self._json is None and self.response is not None:
            try:
                self._json = self.response.json()
            except ValueError:
                raise StepFailed(f"the response is not JSON: {self.response.text[:200]}") from None
        return self._json

    async def run(self, step: dict[str, Any], log: list[dict[str, Any]]) -> None:
        action = step["action"]
        if action == "set_var":
            self.variables[step["name"]] = render(step["value"], self.variables)
            return
        if action == "request":
            if step.get("scripts"):
                await self._postman_request(step, log)
            else:
                await self._request(step, log, self.variables)
            return
        if self.response is None:
            raise StepFailed(f"{action} needs a request before it")
        self.checks += 1
        if action == "expect_status":
            if self.response.status_code != step["status"]:
                raise StepFailed(f"expected status {step['status']}, got {self.response.status_code}: "
                                 f"{self.response.text[:300]}")
        elif action == "expect_header":
            value = self.response.headers.get(step["name"])
            if value is None or (step.get("value") is not None and value != render(step["value"], self.variables)):
                raise StepFailed(f"header {step['name']} is {value!r}, expected {step.get('value')!r}")
        elif action == "expect_json":
            found = [m.value for m in jsonpath(step["path"]).find(self._body())]
            if step.get("exists", True) and not found:
                raise StepFailed(f"{step['path']} matched nothing")
            if not step.get("exists", True) and found:
                raise StepFailed(f"{step['path']} should not exist, found {found[0]!r}")
            expected = render(step.get("equals"), self.variables)
            if expected is not None and (not found or found[0] != expected):
                raise StepFailed(f"{step['path']} is {found[0] if found else None!r}, expected {expected!r}")
        elif action == "expect_json_schema":
            try:
                jsonschema.validate(self._body(), step["json_schema"])
            except jsonschema.ValidationError as exc:
                raise StepFailed(f"the response does not match the schema: {exc.message}") from None
        else:
            raise StepFailed(f"{action} is not an API step")

    async def _request(self, step: dict[str, Any], log: list[dict[str, Any]], variables: dict[str, Any]) -> float:
        """Send the step's request; the milliseconds it took."""
        url = self._url(step["url"], variables)
        headers = render(step.get("headers") or {}, variables)
        json_body = render(step.get("json_body"), variables) if step.get("json_body") is not None else None
        content = render(step.get("body"), variables) if step.get("body") is not None else None
        try:  # never green by omission: a literal {{token}} or /:id is not what the test meant to send
            require_resolved("the URL", url, url=True)
            require_resolved("the headers", headers)
            require_resolved("the body", json_body if json_body is not None else content)
        except Unresolved as exc:
            raise StepFailed(f"{step.get('method', 'GET')} {url}: {exc}") from None
        files = data = None
        if step.get("multipart"):  # a form with generated files (their content is in the step, not on disk)
            form = render(step["multipart"], variables)
            data = {k: str(v) for k, v in (form.get("fields") or {}).items()}
            files = {k: (f.get("filename", k), str(f.get("content", "")).encode(), f.get("content_type", "text/plain"))
                     for k, f in (form.get("files") or {}).items()}
        elif step.get("file_body"):
            raw = step["file_body"]
            content = str(raw.get("content", "")).encode()
            headers = {"Content-Type": raw.get("content_type", "application/octet-stream"), **headers}
        started = time.perf_counter()
        try:
            self.response = await self.client.request(
                step.get("method", "GET"), url, headers=headers, json=json_body, content=content, data=data,
                files=files,
            )
        except TargetRefused:
            raise
        except httpx.HTTPError as exc:
            raise StepFailed(f"{step.get('method', 'GET')} {url} failed: {type(exc).__name__}: {exc}") from None
        self._json = None
        # what a person needs to see why it failed (or passed): method, final URL (after redirects),
        # status, time and the first KB of the body
        elapsed = (time.perf_counter() - started) * 1000
        log.append({"request": f"{step.get('method', 'GET')} {url}", "final_url": str(self.response.url),
                    "status": self.response.status_code, "ms": round(elapsed, 1), "body": self.response.text[:1024]})
        for name, path in (step.get("save") or {}).items():
            found = [m.value for m in jsonpath(path).find(self._body())]
            if not found:
                raise StepFailed(f"could not save {name}: {path} matched nothing")
            self.variables[name] = found[0]
        return elapsed

    async def _postman_request(self, step: dict[str, Any], log: list[dict[str, Any]]) -> None:
        """A request imported from Postman: its pre-request scripts (collection, folder, request), the
        request, then its test scripts, each `pm.test` a check of its own."""
        if self.sandbox is None:
            raise ScriptBlocked("this execution process runs no Postman scripts")
        scopes = self.scopes if self.scopes is not None else PostmanScopes(started=True)
        scripts, local = step["scripts"], {}
        assertions: list[dict[str, Any]] = []
        method = step.get("method", "GET")
        body = step.get("json_body") if step.get("json_body") is not None else step.get("body")
        for source in scripts.get("prerequest") or []:
            context = {"request": request_json(method, step["url"], step.get("headers") or {}, body), **scopes.context(local)}
            result = await self._script("prerequest", source, context, scopes, local, log)
            assertions += result.assertions
            if result.skipped:
                raise RequestSkipped("a pre-request script skipped the request (pm.execution.skipRequest)")
            if result.error:
                raise StepFailed(f"{method} {step['url']}: the pre-request script failed: {result.error}")
            headers = headers_of(result.request)
            if headers is not None:  # pm.request.headers.add/upsert/remove
                step = {**step, "headers": headers}
        elapsed = await self._request(step, log, {**self.variables, **scopes.resolved(local)})
        assert self.response is not None
        errors = []
        for source in scripts.get("test") or []:
            context = {"request": request_json(method, str(self.response.request.url), dict(self.response.request.headers), body),
                       "response": response_json(self.response, elapsed), "cookies": cookies_json(self.response),
                       **scopes.context(local)}
            result = await self._script("test", source, context, scopes, local, log)
            assertions += result.assertions
            if result.error:
                errors.append(result.error)
        self.checks += sum(1 for a in assertions if not a.get("skipped"))  # pm.test.skip checks nothing
        log.extend({"test": a["name"], "ok": bool(a.get("passed")), **({"error": a["error"]} if a.get("error") else {})}
                   for a in assertions[:200])
        failed = verdict(assertions)
        if errors:
            raise StepFailed(f"the test script failed: {errors[0]}" + (f"; {failed}" if failed else ""))
        if failed:
            raise StepFailed(failed)

    async def _script(self, listen: str, source: str, context: dict[str, Any], scopes: PostmanScopes,
                      local: dict[str, Any], log: list[dict[str, Any]]) -> ScriptResult:
        assert self.sandbox is not None
        try:
            result = await self.sandbox.run(listen, source, context, self._send_for_script)
        except ScriptsUnavailable as exc:
            raise ScriptBlocked(f"Postman scripts could not run: {exc}") from None
        scopes.take(result.scopes, local)
        log.extend({"console": line["text"], "level": line.get("level")} for line in result.console[:20]
                   if "is deprecated" not in line["text"])
        return result

    async def _send_for_script(self, request: dict[str, Any]) -> dict[str, Any]:
        """pm.sendRequest, sent by this session's client: the execution guard applies to it too."""
        started = time.perf_counter()
        response = await self.client.request(str(request.get("method") or "GET"), url_text(request.get("url")),
                                             headers=headers_of(request) or {}, content=body_of(request))
        return response_json(response, (time.perf_counter() - started) * 1000)
