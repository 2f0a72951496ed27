"""The CLI's HTTP client: talks to the API at --api / COGNITEST_API."""

import json
import os
import time
import uuid
from typing import Any

import httpx

from cognitest.producers.cli.exits import BAD_INPUT, UNREACHABLE, CliError

DEFAULT_API = "http://127.0.0.1:8000"


def api_url(explicit: str | None = None) -> str:
    return (explicit or os.environ.get("COGNITEST_API") or DEFAULT_API).rstrip("/")


class Api:
    def __init__(self, base: str | None = None, timeout: float = 30.0, token: str | None = None) -> None:
        self.base = api_url(base)
        headers = {"authorization": f"Bearer {token}"} if token else identity()
        self.client = httpx.Client(base_url=self.base, timeout=timeout, headers=headers)

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None,
                key: str | None = None, attempts: int = 3) -> Any:
        """Every change carries an Idempotency-Key (`key`, or a new one per call), so an answer
        lost on the way back or a 503 (outcome unknown) is retried safely: the retry is the same
        event and answers with the same resource. With `wait=true`, an event the projection had
        not applied in time is followed at its Location until it has."""
        headers = {}
        if method != "GET":
            headers["idempotency-key"] = key or f"cli-{uuid.uuid4()}"
        for attempt in range(1, attempts + 1):
            try:
                response = self.client.request(method, path, params=clean_params(params), json=body, headers=headers)
            except httpx.TransportError as exc:
                if method != "GET" and attempt < attempts and not isinstance(exc, httpx.ConnectError):
                    time.sleep(attempt)
                    continue
                raise CliError(f"cannot reach the Cognitest API at {self.base} ({type(exc).__name__}): is it running? "
                               "Start it with `cognitest up`, or point --api / COGNITEST_API at it", UNREACHABLE) from None
            if response.status_code == 503 and attempt < attempts:
                time.sleep(min(float(response.headers.get("retry-after", "1") or 1), 5.0))
                continue
            break
        waited = (params or {}).get("wait") in (True, "true")
        if waited and response.status_code == 202 and response.headers.get("location"):
            return self._follow(response.headers["location"])
        if response.status_code >= 400:
            raise CliError(error_message(response), UNREACHABLE if response.status_code in (502, 503, 504) else BAD_INPUT)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return response.text

    def _follow(self, location: str, timeout: float = 120.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.client.get(location)
            if found.status_code == 200:
                return found.json()
            time.sleep(0.5)
        raise CliError(f"the platform accepted the change but has not applied it yet; follow {location}", UNREACHABLE)

    def upload(self, path: str, field: str, files: list[Any], *, data: dict[str, str] | None = None,
               params: dict[str, Any] | None = None) -> Any:
        """POST files (multipart) read from disk; errors become CliErrors like every other call."""
        from pathlib import Path

        parts = []
        for file in files:
            try:
                parts.append((field, (Path(file).name, Path(file).read_bytes())))
            except OSError as exc:
                raise CliError(f"cannot read {file}: {exc.strerror}") from None
        try:
            response = self.client.post(path, files=parts, data=data or None, params=clean_params(params))
        except httpx.TransportError as exc:
            raise CliError(f"cannot reach the Cognitest API at {self.base} ({type(exc).__name__})", UNREACHABLE) from None
        if response.status_code >= 400:
            raise CliError(error_message(response), UNREACHABLE if response.status_code in (502, 503, 504) else BAD_INPUT)
        return response.json()

    def until(self, path: str, ended: Any, timeout: float, every: float = 0.5, on_poll: Any = None) -> dict[str, Any]:
        """GET `path` until `ended(state)` or `timeout`; a resource not projected yet (404) reads as {}.
        Returns the last state seen; `on_poll(state)` sees each one (progress lines)."""
        deadline, state = time.monotonic() + timeout, {}
        while time.monotonic() < deadline:
            try:
                state = self.get(path)
            except CliError as exc:
                if "not found" not in str(exc):
                    raise
                state = {}
            if ended(state):
                break
            if on_poll is not None:
                on_poll(state)
            time.sleep(every)
        return state

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None, *, key: str | None = None, **params: Any) -> Any:
        return self.request("POST", path, params=params, body=body, key=key)

    def patch(self, path: str, body: Any = None, **params: Any) -> Any:
        return self.request("PATCH", path, params=params, body=body)

    def delete(self, path: str, **params: Any) -> Any:
        return self.request("DELETE", path, params=params)


def identity() -> dict[str, str]:
    """The bearer token: COGNITEST_TOKEN (an API token, or an OIDC access token), else the local
    embedded stack's admin token (DATA_DIR/secrets/admin-token, readable by whoever runs it)."""
    token = os.environ.get("COGNITEST_TOKEN")
    if not token:
        from cognitest.infra.identity.keys import stored_admin_token
        from cognitest.infra.settings import Settings

        settings = Settings()
        token = (settings.auth.admin_token.get_secret_value() if settings.auth.admin_token
                 else stored_admin_token(settings.data_dir))
    return {"authorization": f"Bearer {token}"} if token else {}


def clean_params(params: dict[str, Any] | None) -> dict[str, Any] | None:
    if not params:
        return None
    return {k: v for k, v in params.items() if v is not None and v != [] and v != ()}


def error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    message = body.get("message") if isinstance(body, dict) else None
    details = body.get("details") if isinstance(body, dict) else None
    text = f"{message or json.dumps(body)[:300]} (HTTP {response.status_code})"
    if response.status_code == 401:  # say how this CLI authenticates, not only that it did not
        text += ("\n  The CLI sends COGNITEST_TOKEN (an API token: `cognitest tokens create -p P --name ci`, or an OIDC "
                 "access token); without it, the admin token of the local stack in COGNITEST_DATA_DIR "
                 "(DATA_DIR/secrets/admin-token): set COGNITEST_DATA_DIR to the --data-dir `up` runs with.")
    if isinstance(details, list) and len(details) > 1:
        text += "".join(f"\n  {'.'.join(map(str, d.get('loc', [])))}: {d.get('msg')}" for d in details[:10])
    return text
