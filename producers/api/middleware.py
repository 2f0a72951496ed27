"""Request ids, structured request logs, and a cap on body size (checked while reading)."""

import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cognitest.infra.metrics import HTTP_REQUESTS
from cognitest.producers.api.errors import CODES, BodyTooLarge, NulInBody

log = structlog.get_logger("cognitest.api")
NUL = b"\\u0000"


class RequestContext:
    def __init__(self, app: ASGIApp, max_body_bytes: int, max_upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_json_body = max_body_bytes
        self.max_upload = max_upload_bytes or max_body_bytes
        self.max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode()[:64] or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        # multipart uploads (requirement documents) get their own, larger cap; each file's own
        # limit is checked by the route
        multipart = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = self.max_upload if multipart else self.max_json_body
        query = scope.get("query_string") or b""
        if b"%00" in query or b"\x00" in query:  # a NUL in a filter reaches PostgreSQL only to fail there
            await self._refuse(send_with_id, request_id, 422, "NUL characters (\\u0000) are not allowed in query parameters")
            return
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await self._too_large(send_with_id, request_id, limit)
            return
        seen = 0
        tail = b""

        async def counted_receive() -> Message:
            nonlocal seen, tail
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                seen += len(chunk)
                if seen > limit:
                    raise BodyTooLarge(limit)
                # PostgreSQL text cannot hold NUL: refuse it at the edge instead of failing later
                if not multipart and (NUL in tail + chunk or b"\x00" in chunk):
                    raise NulInBody()
                tail = chunk[-(len(NUL) - 1):]
            return message

        try:
            await self.app(scope, counted_receive, send_with_id)
        except BodyTooLarge:  # raised where no route handles it (FastAPI's handlers answer the others)
            await self._too_large(send_with_id, request_id, limit)
        except NulInBody as exc:
            await self._refuse(send_with_id, request_id, 422, str(exc.detail))
        finally:
            elapsed = time.perf_counter() - started
            # the route's template (/api/v1/projects/{project_id}/cases), not the path: bounded labels
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            HTTP_REQUESTS.labels(scope["method"], route, str(status["code"])).observe(elapsed)
            log.info("http.request", method=scope["method"], path=scope["path"], status=status["code"],
                     ms=round(elapsed * 1000, 1))
            structlog.contextvars.unbind_contextvars("request_id")

    async def _too_large(self, send: Send, request_id: str, limit: int) -> None:
        await self._refuse(send, request_id, 413, f"request body is over {limit} bytes")

    async def _refuse(self, send: Send, request_id: str, status: int, message: str) -> None:
        import json

        body = json.dumps({"error": CODES[status], "message": message, "request_id": request_id}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
