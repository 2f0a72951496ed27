"""API steps through httpx: requests with variables, chaining (save values by JSON path), and
assertions on status, headers, JSON path values and JSON Schema. Every request and redirect
passes the execution guard."""

import time
from typing import Any

import httpx
import jsonschema
from jsonpath_ng.ext import parse as jsonpath

from cognitest.consumers.execution.variables import Unresolved, render, require_resolved
from cognitest.infra.execution_guard import TargetPolicy, TargetRefused


class StepFailed(AssertionError):
    pass


class ApiSession:
    def __init__(self, base_url: str | None, variables: dict[str, Any], policy: TargetPolicy,
                 timeout: float, share: bool = False) -> None:
        self.variables = variables if share else dict(variables)
        if base_url:
            self.variables.setdefault("base_url", base_url.rstrip("/"))
        self.policy = policy

        async def guard(request: httpx.Request) -> None:
            self.policy.check(str(request.url))  # also runs for each redirect

        self.client = httpx.AsyncClient(timeout=timeout, follow_redirects=True, event_hooks={"request": [guard]})
        self.response: httpx.Response | None = None
        self._json: Any = None

    async def close(self) -> None:
        await self.client.aclose()

    def _url(self, url: str) -> str:
        url = render(url, self.variables)
        if url.startswith("/") and "base_url" in self.variables:
            url = str(self.variables["base_url"]) + url
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
            url = self._url(step["url"])
            headers = render(step.get("headers") or {}, self.variables)
            json_body = render(step.get("json_body"), self.variables) if step.get("json_body") is not None else None
            content = render(step.get("body"), self.variables) if step.get("body") is not None else None
            try:  # never green by omission: a literal {{token}} or /:id is not what the test meant to send
                require_resolved("the URL", url, url=True)
                require_resolved("the headers", headers)
                require_resolved("the body", json_body if json_body is not None else content)
            except Unresolved as exc:
                raise StepFailed(f"{step.get('method', 'GET')} {url}: {exc}") from None
            files = data = None
            if step.get("multipart"):  # a form with generated files (their content is in the step, not on disk)
                form = render(step["multipart"], self.variables)
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
            log.append({"request": f"{step.get('method', 'GET')} {url}", "final_url": str(self.response.url),
                        "status": self.response.status_code, "ms": round((time.perf_counter() - started) * 1000, 1),
                        "body": self.response.text[:1024]})
            for name, path in (step.get("save") or {}).items():
                found = [m.value for m in jsonpath(path).find(self._body())]
                if not found:
                    raise StepFailed(f"could not save {name}: {path} matched nothing")
                self.variables[name] = found[0]
            return
        if self.response is None:
            raise StepFailed(f"{action} needs a request before it")
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
