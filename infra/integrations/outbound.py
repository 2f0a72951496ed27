"""Calls to outside services. Each returns a small JSON-able dict; each failure raises
DeliveryFailed saying whether trying again can help (network, 5xx, 429) or not (other 4xx)."""

from email.message import EmailMessage
from typing import Any

import aiosmtplib
import httpx

from cognitest.infra.execution_guard import TargetPolicy, TargetRefused
from cognitest.infra.identity.crypto import SecretBox, reveal
from cognitest.infra.integrations.signing import HEADER, sign
from cognitest.infra.settings import IntegrationsSettings
from cognitest.schemas.integrations import SECRET_FIELDS


SLACK_EVENT_TYPE = "cognitest_delivery"  # the metadata type of every message posted through the Web API
SLACK_TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}


class DeliveryFailed(Exception):
    def __init__(self, message: str, retryable: bool, status_code: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status_code = status_code


class NotConfigured(DeliveryFailed):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is not configured", retryable=False)


class Outbound:
    def __init__(self, settings: IntegrationsSettings, client: httpx.AsyncClient | None = None,
                 box: SecretBox | None = None) -> None:
        self.settings = settings
        self.box = box  # opens secrets sealed at rest (notification rules, automation graphs)
        self.policy: TargetPolicy | None = None  # set by for_project
        self.untrusted: set[str] = set()
        self.client = client or httpx.AsyncClient(timeout=settings.timeout, follow_redirects=False)

    async def close(self) -> None:
        await self.client.aclose()

    def for_project(self, project_settings: dict[str, Any] | None, allow_private: bool = False) -> "Outbound":
        """This outbound with the project's own integrations (settings `integrations`) over the
        instance's, and the project's target guard on every URL that comes from the project (rule
        targets, automation nodes, its own integrations; the instance's are the operator's and
        trusted). It shares the HTTP client: close only the instance's."""
        own = (project_settings or {}).get("integrations")
        own = own if isinstance(own, dict) else {}
        values = {key: reveal(self.box, value) if key in SECRET_FIELDS else value for key, value in own.items()
                  if value is not None and key in IntegrationsSettings.model_fields}
        derived = Outbound(self.settings.model_copy(update=values), client=self.client, box=self.box)
        derived.policy = TargetPolicy.of(project_settings, [], allow_private)
        derived.untrusted = {key for key in ("slack_webhook_url", "slack_api_url", "jira_url", "github_api_url") if key in values}
        return derived

    def _guard(self, url: str, setting: str | None = None) -> None:
        """Refuse a project-given URL the project's target guard does not allow."""
        if self.policy is None or (setting is not None and setting not in self.untrusted):
            return
        try:
            self.policy.check(url)
        except TargetRefused as exc:
            raise DeliveryFailed(f"refused: {exc}", retryable=False) from None

    async def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        where = _host(url)  # errors are logged and recorded: never the full URL (webhook URLs are credentials)
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{method} {where}: {type(exc).__name__}", retryable=True) from None
        if response.status_code >= 400:
            retryable = response.status_code >= 500 or response.status_code in (408, 429)
            raise DeliveryFailed(f"{method} {where}: HTTP {response.status_code}: {response.text[:300]}",
                                 retryable=retryable, status_code=response.status_code)
        return response

    async def slack(self, text: str, target: str | None = None, blocks: list[Any] | None = None,
                    key: str | None = None) -> dict[str, Any]:
        """Post to Slack: `target` is an incoming-webhook URL or a channel (with a bot token: the Web
        API's chat.postMessage, carrying `key` in the message's metadata so `slack_find` can ask
        Slack whether an interrupted post arrived); unset = the configured channel or webhook."""
        given = reveal(self.box, target)
        body: dict[str, Any] = {"text": text}
        if blocks:
            body["blocks"] = blocks
        channel = self._slack_channel(given)
        if channel is not None:
            base, headers = self._slack_api()
            if key:
                body["metadata"] = {"event_type": SLACK_EVENT_TYPE, "event_payload": {"key": key}}
            answer = await self._slack_call("POST", f"{base}/chat.postMessage", json={**body, "channel": channel},
                                            headers=headers)
            return {"status_code": 200, "target": f"slack:{answer.get('channel') or channel}", "ts": answer.get("ts"),
                    "channel": answer.get("channel") or channel}
        url = given or self.settings.slack_webhook_url
        if not url:
            raise NotConfigured("Slack (integrations.slack_webhook_url, or slack_bot_token and slack_channel)")
        self._guard(url, None if given else "slack_webhook_url")
        response = await self._call("POST", url, json=body)
        return {"status_code": response.status_code, "target": _host(url)}  # the URL itself is a credential

    def _slack_channel(self, given: str | None) -> str | None:
        """The channel to post to through the Web API, or None to use an incoming webhook."""
        if given and given.startswith(("http://", "https://")):
            return None
        if given:
            if not self.settings.slack_bot_token:
                raise NotConfigured(f"Slack channel {given!r} needs a bot token (integrations.slack_bot_token)")
            return given
        if self.settings.slack_bot_token and self.settings.slack_channel:
            return self.settings.slack_channel
        return None

    def _slack_api(self) -> tuple[str, dict[str, str]]:
        self._guard(self.settings.slack_api_url, "slack_api_url")
        return (self.settings.slack_api_url.rstrip("/"),
                {"authorization": f"Bearer {self.settings.slack_bot_token}", "content-type": "application/json; charset=utf-8"})

    async def _slack_call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        """Slack's Web API answers 200 with `ok: false` for most errors; those are failures too."""
        answer = (await self._call(method, url, **kwargs)).json()
        if not answer.get("ok"):
            error = str(answer.get("error") or "unknown error")
            raise DeliveryFailed(f"Slack {url.rsplit('/', 1)[-1]}: {error}", retryable=error in SLACK_TRANSIENT)
        return answer

    async def slack_find(self, target: str | None, key: str) -> dict[str, Any] | None:
        """The message an interrupted post left in the channel, found by the key in its metadata
        (the channel's latest 200 messages); None when there is none or Slack cannot be asked (an
        incoming webhook, a channel given by name rather than id)."""
        channel = self._slack_channel(reveal(self.box, target))
        if channel is None:
            return None
        base, headers = self._slack_api()
        try:
            answer = await self._slack_call("GET", f"{base}/conversations.history", headers=headers,
                                            params={"channel": channel, "limit": 200, "include_all_metadata": "true"})
        except DeliveryFailed as exc:
            if exc.retryable:
                raise
            return None  # not readable by this token (a name, not an id; no history scope): post again
        for message in answer.get("messages") or []:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == SLACK_EVENT_TYPE and (metadata.get("event_payload") or {}).get("key") == key:
                return {"status_code": 200, "target": f"slack:{channel}", "ts": message.get("ts"), "channel": channel}
        return None

    async def webhook(self, url: str, payload: dict[str, Any], secret: str | None = None,
                      idempotency_key: str | None = None) -> dict[str, Any]:
        import json

        url, secret = reveal(self.box, url) or "", reveal(self.box, secret)
        self._guard(url)
        body = json.dumps(payload, default=str).encode()
        headers = {"content-type": "application/json"}
        if idempotency_key:  # a receiver drops a repeat (a retry after a crash mid-call) by this key
            headers["idempotency-key"] = idempotency_key
        if secret or self.settings.webhook_secret:
            headers[HEADER] = sign(secret or self.settings.webhook_secret or "", body)
        response = await self._call("POST", url, content=body, headers=headers)
        return {"status_code": response.status_code, "target": _host(url)}

    async def http(self, method: str, url: str, headers: dict[str, str], body: Any, timeout: float) -> dict[str, Any]:
        self._guard(url)
        kwargs: dict[str, Any] = {"headers": headers, "timeout": timeout}
        if body is not None:
            kwargs["json" if not isinstance(body, str) else "content"] = body
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{method} {url}: {type(exc).__name__}: {exc}", retryable=True) from None
        try:
            parsed: Any = response.json()
        except ValueError:
            parsed = response.text[:10_000]
        return {"status": response.status_code, "body": parsed, "headers": dict(response.headers)}

    def _jira(self) -> tuple[str, tuple[str, str]]:
        s = self.settings
        if not (s.jira_url and s.jira_email and s.jira_token):
            raise NotConfigured("JIRA (integrations.jira_url, jira_email, jira_token)")
        self._guard(s.jira_url, "jira_url")
        return s.jira_url.rstrip("/"), (s.jira_email, s.jira_token)

    async def jira_create(self, summary: str, description: str, project_key: str | None = None,
                          issue_type: str | None = None, labels: list[str] | None = None) -> dict[str, Any]:
        base, auth = self._jira()
        key = project_key or self.settings.jira_project_key
        if not key:
            raise NotConfigured("JIRA project key (integrations.jira_project_key)")
        fields = {"project": {"key": key}, "summary": summary[:255], "description": description,
                  "issuetype": {"name": issue_type or self.settings.jira_issue_type}, "labels": labels or []}
        response = await self._call("POST", f"{base}/rest/api/2/issue", json={"fields": fields}, auth=auth)
        created = response.json()
        return {"key": created["key"], "id": created.get("id"), "url": f"{base}/browse/{created['key']}"}

    async def jira_find(self, label: str, project_key: str | None = None) -> dict[str, Any] | None:
        """The ticket carrying a label (what a create that may have reached JIRA left), by JQL."""
        base, auth = self._jira()
        key = project_key or self.settings.jira_project_key
        jql = f'labels = "{label}"' + (f' AND project = "{key}"' if key else "")
        response = await self._call("GET", f"{base}/rest/api/2/search", params={"jql": jql, "fields": "key", "maxResults": 1},
                                    auth=auth)
        issues = response.json().get("issues") or []
        if not issues:
            return None
        found = issues[0]["key"]
        return {"key": found, "id": issues[0].get("id"), "url": f"{base}/browse/{found}"}

    async def jira_transition(self, issue_key: str, names: list[str]) -> dict[str, Any]:
        """Move a ticket through the first transition whose name or target status is one of
        `names` (workflows differ: "Done", "Resolved", "Closed"); none available is said, not raised."""
        base, auth = self._jira()
        response = await self._call("GET", f"{base}/rest/api/2/issue/{issue_key}/transitions", auth=auth)
        wanted = [n.lower() for n in names]
        for transition in response.json().get("transitions") or []:
            if str(transition.get("name", "")).lower() in wanted or \
                    str((transition.get("to") or {}).get("name", "")).lower() in wanted:
                await self._call("POST", f"{base}/rest/api/2/issue/{issue_key}/transitions",
                                 json={"transition": {"id": transition["id"]}}, auth=auth)
                return {"key": issue_key, "transition": transition.get("name"), "status": (transition.get("to") or {}).get("name")}
        return {"key": issue_key, "transition": None, "note": f"no transition to {' / '.join(names)} from its status"}

    async def jira_comment(self, issue_key: str, body: str) -> dict[str, Any]:
        base, auth = self._jira()
        response = await self._call("POST", f"{base}/rest/api/2/issue/{issue_key}/comment", json={"body": body}, auth=auth)
        return {"key": issue_key, "comment_id": response.json().get("id")}

    def _github(self, repo: str | None) -> tuple[str, dict[str, str]]:
        s = self.settings
        repo = repo or s.github_repo
        if not (s.github_token and repo):
            raise NotConfigured("GitHub (integrations.github_token, github_repo)")
        self._guard(s.github_api_url, "github_api_url")
        headers = {"authorization": f"Bearer {s.github_token}", "accept": "application/vnd.github+json"}
        return f"{s.github_api_url.rstrip('/')}/repos/{repo}", headers

    async def github_create(self, title: str, body: str, repo: str | None = None,
                            labels: list[str] | None = None) -> dict[str, Any]:
        base, headers = self._github(repo)
        response = await self._call("POST", f"{base}/issues", json={"title": title, "body": body, "labels": labels or []},
                                    headers=headers)
        created = response.json()
        return {"key": str(created["number"]), "number": created["number"], "url": created.get("html_url")}

    async def github_find(self, marker: str, repo: str | None = None) -> dict[str, Any] | None:
        """The issue whose body carries the marker, among the newest labelled `cognitest` (the list,
        not the search API: search is indexed late and would miss an issue made seconds ago)."""
        base, headers = self._github(repo)
        response = await self._call("GET", f"{base}/issues", headers=headers, params={
            "labels": "cognitest", "state": "all", "sort": "created", "direction": "desc", "per_page": 100})
        for issue in response.json():
            if marker in (issue.get("body") or ""):
                return {"key": str(issue["number"]), "number": issue["number"], "url": issue.get("html_url")}
        return None

    async def github_state(self, number: str, state: str, repo: str | None = None) -> dict[str, Any]:
        base, headers = self._github(repo)
        await self._call("PATCH", f"{base}/issues/{number}", json={"state": state}, headers=headers)
        return {"key": number, "state": state}

    async def github_comment(self, number: str, body: str, repo: str | None = None) -> dict[str, Any]:
        base, headers = self._github(repo)
        response = await self._call("POST", f"{base}/issues/{number}/comments", json={"body": body}, headers=headers)
        return {"key": number, "comment_id": response.json().get("id")}

    async def email(self, to: list[str], subject: str, body: str, idempotency_key: str | None = None) -> dict[str, Any]:
        s = self.settings
        if not s.smtp_host:
            raise NotConfigured("SMTP (integrations.smtp_host)")
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = s.smtp_from, ", ".join(to), subject
        if idempotency_key:  # the same message sent twice carries the same Message-ID: mail clients show one
            import hashlib

            message["Message-ID"] = f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}@cognitest>"
        message.set_content(body)
        try:
            await aiosmtplib.send(message, hostname=s.smtp_host, port=s.smtp_port, username=s.smtp_username,
                                  password=s.smtp_password, start_tls=s.smtp_starttls, timeout=s.timeout)
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryFailed(f"SMTP {exc.code}: {exc.message}", retryable=exc.code >= 400 and exc.code < 500) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"SMTP: {type(exc).__name__}: {exc}", retryable=True) from None
        return {"to": to}


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
