"""Stand-ins for the outside services (Slack, JIRA, GitHub, generic webhooks, SMTP): real
servers on 127.0.0.1 that record exactly what they receive. Tests can script failures per path
prefix (a queue of HTTP statuses answered before the normal answer). It is also the OTLP/HTTP
collector the platform's processes export their traces to."""

import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from cognitest.infra.embedded.supervisor import free_port
from tests.support.oidc import AUDIENCE, CLIENT_ID, ISSUER_PATH, Idp


SLACK_BOT_TOKEN = "xoxb-test-token"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    raw: bytes
    body: Any = None


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    content: str


class _SmtpHandler:
    def __init__(self, sink: list[Mail]) -> None:
        self.sink = sink
        self.delay = 0.0  # seconds between taking a message and saying so: a sender killed meanwhile

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        import asyncio

        self.sink.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 OK"


@dataclass
class FakeServices:
    received: list[Received] = field(default_factory=list)
    mails: list[Mail] = field(default_factory=list)
    failures: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    delays: dict[str, float] = field(default_factory=dict)  # path prefix -> seconds before answering
    reads: list[Received] = field(default_factory=list)  # GETs to the trackers (lookups)
    jira_issues: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> fields, status
    github_issues: dict[int, dict[str, Any]] = field(default_factory=dict)  # number -> title, body, labels, state
    slack_messages: list[dict[str, Any]] = field(default_factory=list)  # posted through Slack's Web API

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.idp = Idp()
        self._jira = 0
        self._github = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path.startswith(("/jira/", "/github/", "/slack-api/")):
                    with fake._lock:  # lookups are kept apart: `received` holds what was sent to be done
                        fake.reads.append(Received("GET", self.path, {k.lower(): v for k, v in self.headers.items()}, b""))
                    self._send(*fake._read(self.path))
                elif self.path == f"{ISSUER_PATH}/jwks":
                    self._send(200, fake.idp.jwks())
                elif self.path == f"{ISSUER_PATH}/.well-known/openid-configuration":
                    self._send(200, fake.idp.discovery(fake.url))
                elif self.path.startswith(f"{ISSUER_PATH}/authorize?"):
                    self.send_response(302)  # the person signs in at once (as idp.browser_user)
                    self.send_header("location", fake.idp.authorize(self.path))
                    self.end_headers()
                else:
                    self._send(404, {"error": "not found"})

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.path == f"{ISSUER_PATH}/token":
                    self._send(*fake.idp.exchange(raw.decode()))
                    return
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                with fake._lock:
                    fake.received.append(Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, raw, body))
                    scripted = next((fake.failures[p].pop(0) for p in list(fake.failures)
                                     if self.path.startswith(p) and fake.failures[p]), None)
                if scripted:
                    self._send(scripted, {"error": "scripted failure"})
                    return
                delay = next((d for p, d in fake.delays.items() if self.path.startswith(p)), 0.0)
                answer = fake._answer(self.path, body, self.headers.get("authorization"))  # done at once, answered
                # late: a caller killed meanwhile
                if delay:
                    time.sleep(delay)
                self._send(*answer)

            def do_PATCH(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                body = json.loads(raw) if raw else {}
                with fake._lock:
                    fake.received.append(Received("PATCH", self.path, {k.lower(): v for k, v in self.headers.items()}, raw, body))
                    number = int(self.path.rstrip("/").rsplit("/", 1)[1]) if self.path.startswith("/github/") else -1
                    if number in fake.github_issues:
                        fake.github_issues[number].update({k: v for k, v in body.items() if k in ("state", "title")})
                self._send(200, {"number": number})

            def _send(self, status: int, body: Any) -> None:
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "text/plain" if isinstance(body, str) else "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.smtp_port = free_port()
        self.smtp_handler = _SmtpHandler(self.mails)
        self.smtp = Controller(self.smtp_handler, hostname="127.0.0.1", port=self.smtp_port)
        self.smtp.start()
        self.idp.issuer = f"{self.url}{ISSUER_PATH}"

    def _answer(self, path: str, body: Any = None, authorization: str | None = None) -> tuple[int, Any]:
        with self._lock:
            if path.startswith("/slack-api/chat.postMessage"):  # Slack's Web API: 200 with ok true/false
                if authorization != f"Bearer {SLACK_BOT_TOKEN}":
                    return 200, {"ok": False, "error": "invalid_auth"}
                if not (body or {}).get("channel", "").startswith("C"):
                    return 200, {"ok": False, "error": "channel_not_found"}
                ts = f"{time.time():.6f}"
                self.slack_messages.append({**body, "ts": ts})
                return 200, {"ok": True, "channel": body["channel"], "ts": ts}
            if path.startswith("/jira/rest/api/2/issue") and path.endswith("/comment"):
                return 201, {"id": str(len(self.received))}
            if path.startswith("/jira/rest/api/2/issue") and path.endswith("/transitions"):
                key = path.split("/")[-2]
                wanted = ((body or {}).get("transition") or {}).get("id")
                if key in self.jira_issues:
                    self.jira_issues[key]["status"] = {"31": "Done", "11": "To Do"}.get(str(wanted), "?")
                return 204, ""
            if path.startswith("/jira/rest/api/2/issue"):
                self._jira += 1
                key = f"COG-{self._jira}"
                self.jira_issues[key] = {"fields": (body or {}).get("fields") or {}, "status": "To Do"}
                return 201, {"id": str(10_000 + self._jira), "key": key, "self": "x"}
            if path.startswith("/github/") and path.endswith("/comments"):
                return 201, {"id": len(self.received)}
            if path.startswith("/github/"):
                self._github += 1
                self.github_issues[self._github] = {**(body or {}), "state": "open", "number": self._github,
                                                    "html_url": f"https://github.example/issues/{self._github}"}
                return 201, {"number": self._github, "html_url": f"https://github.example/issues/{self._github}"}
        return 200, "ok"

    def _read(self, path: str) -> tuple[int, Any]:
        """JIRA search by label and transitions; a GitHub repository's issues (newest first)."""
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            if parts.path == "/slack-api/conversations.history":  # newest first; metadata only when asked
                messages = [{k: v for k, v in m.items() if k != "metadata" or query.get("include_all_metadata") == "true"}
                            for m in reversed(self.slack_messages) if m.get("channel") == query.get("channel")]
                return 200, {"ok": True, "messages": messages[: int(query.get("limit") or 100)]}
            if parts.path == "/jira/rest/api/2/search":
                label = query.get("jql", "").split('labels = "', 1)[-1].split('"', 1)[0]
                found = [{"key": k, "id": k} for k, i in self.jira_issues.items() if label in i["fields"].get("labels", [])]
                return 200, {"issues": found, "total": len(found)}
            if parts.path.endswith("/transitions"):  # a typical JIRA workflow: any status to either
                return 200, {"transitions": [{"id": "11", "name": "To Do", "to": {"name": "To Do"}},
                                             {"id": "31", "name": "Done", "to": {"name": "Done"}}]}
            if parts.path.startswith("/github/") and parts.path.endswith("/issues"):
                return 200, sorted(self.github_issues.values(), key=lambda i: -i["number"])
        return 404, {"error": "not found"}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def env(self) -> dict[str, str]:
        return {
            "COGNITEST_INTEGRATIONS__SLACK_WEBHOOK_URL": f"{self.url}/slack/default",
            "COGNITEST_INTEGRATIONS__SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,  # for rules naming a channel
            "COGNITEST_INTEGRATIONS__SLACK_API_URL": f"{self.url}/slack-api",
            "COGNITEST_INTEGRATIONS__JIRA_URL": f"{self.url}/jira",
            "COGNITEST_INTEGRATIONS__JIRA_EMAIL": "bot@example.com",
            "COGNITEST_INTEGRATIONS__JIRA_TOKEN": "jira-token",
            "COGNITEST_INTEGRATIONS__JIRA_PROJECT_KEY": "COG",
            "COGNITEST_INTEGRATIONS__GITHUB_API_URL": f"{self.url}/github",
            "COGNITEST_INTEGRATIONS__GITHUB_TOKEN": "gh-token",
            "COGNITEST_INTEGRATIONS__GITHUB_REPO": "acme/shop",
            "COGNITEST_INTEGRATIONS__SMTP_HOST": "127.0.0.1",
            "COGNITEST_INTEGRATIONS__SMTP_PORT": str(self.smtp_port),
            "COGNITEST_INTEGRATIONS__TIMEOUT": "5",
            "COGNITEST_TRACING__OTLP_ENDPOINT": f"{self.url}/otlp",
            "COGNITEST_TRACING__EXPORT_DELAY_MS": "200",
            # only traces a caller starts (a sampled traceparent) are recorded: the code paths all
            # run, and the fault and load tests are not measured through an exporter
            "COGNITEST_TRACING__SAMPLE_RATIO": "0",
            # an OIDC provider: the API verifies its bearer JWTs against this JWKS
            "COGNITEST_AUTH__OIDC__ISSUER": self.idp.issuer,
            "COGNITEST_AUTH__OIDC__JWKS_URL": f"{self.url}{ISSUER_PATH}/jwks",
            "COGNITEST_AUTH__OIDC__AUDIENCE": f'["{AUDIENCE}"]',
            "COGNITEST_AUTH__OIDC__ADMIN_USERS": '["root@idp.test"]',
            "COGNITEST_AUTH__OIDC__CLIENT_ID": CLIENT_ID,  # the UI signs people in through it
        }

    def spans(self) -> list[dict[str, Any]]:
        """Every span exported to the OTLP endpoint (`/otlp/v1/traces`, protobuf), decoded."""
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        out = []
        for received in self.at("/otlp/v1/traces"):
            request = ExportTraceServiceRequest.FromString(received.raw)
            for resource in request.resource_spans:
                service = next((a.value.string_value for a in resource.resource.attributes if a.key == "service.name"), "")
                for scope in resource.scope_spans:
                    for span in scope.spans:
                        out.append({"service": service, "name": span.name, "kind": span.kind,
                                    "trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(),
                                    "parent": span.parent_span_id.hex() or None,
                                    "links": [link.trace_id.hex() for link in span.links],
                                    "attributes": {a.key: a.value.string_value or a.value.int_value
                                                   for a in span.attributes}})
        return out

    def at(self, prefix: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path.startswith(prefix)]

    def close(self) -> None:
        self.server.shutdown()
        self.smtp.stop()
