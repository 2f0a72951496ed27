"""Integration secrets: encrypted before they are published (the event log and the read models
hold ciphertext), never shown by the API, never written to a log, and still usable."""

import uuid

import httpx
from sqlalchemy import select

from cognitest.infra.db import models as m
from cognitest.infra.identity.crypto import MASK, PREFIX
from cognitest.schemas.subjects import EVENTS_STREAM, project_filter
from tests.conftest import bootstrapped, eventually
from tests.support.fake_services import FakeServices
from tests.support.stack import PlatformStack

PROCESSES = ("api", "consumers", "knowledge", "worker")


async def stream_text(stack: PlatformStack, pid: str) -> str:
    assert stack.publisher is not None
    sub = await stack.publisher.js.subscribe(project_filter(pid), ordered_consumer=True, stream=EVENTS_STREAM,
                                             config=None)
    texts = []
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=1)
            except Exception:  # noqa: BLE001  nothing more
                break
            texts.append(msg.data.decode())
    finally:
        await sub.unsubscribe()
    return "\n".join(texts)


async def test_secrets_are_sealed_masked_unlogged_and_still_work(stack: PlatformStack, api: httpx.AsyncClient,
                                                                 project: dict, outside: FakeServices) -> None:
    pid, token = project["id"], uuid.uuid4().hex[:10]
    await bootstrapped(api, pid)
    slack_url = f"{outside.url}/slack/secret-{token}"
    signing = f"signing-{token}-secret"
    hook_secret = f"hook-{token}-secret-0123"
    for name in PROCESSES:
        stack.supervisor.running[name].watch(token)
    rules = [{"name": "chat", "channel": "slack", "target": slack_url, "events": ["issue.created"]},
             {"name": "ops", "channel": "webhook", "target": f"{outside.url}/hook/{token}", "secret": signing,
              "events": ["issue.created"]}]
    r = await api.patch(f"/api/v1/projects/{pid}", params={"wait": "true"}, json={"settings": {"notifications": {"rules": rules}}})
    assert r.status_code == 200, r.text
    assert token not in r.text
    shown = r.json()["settings"]["notifications"]["rules"]
    assert [(x["target"], x.get("secret")) for x in shown] == [(MASK, None), (MASK, MASK)]
    # saved back as shown (masked): the stored secrets stay
    shown[0]["events"] = ["issue.created", "run.failed"]
    again = await api.patch(f"/api/v1/projects/{pid}", params={"wait": "true"},
                            json={"settings": {"notifications": {"rules": shown}}})
    assert again.status_code == 200 and token not in again.text
    automation = await api.post(f"/api/v1/projects/{pid}/automations", params={"wait": "true"}, json={
        "name": "hooked", "graph": {"nodes": [{"id": "in", "type": "trigger.webhook", "config": {"secret": hook_secret}},
                                              {"id": "say", "type": "slack", "config": {"text": "hi", "webhook_url": slack_url}}],
                                    "edges": [{"source": "in", "target": "say"}]}})
    assert automation.status_code == 201, automation.text
    assert token not in automation.text
    # at rest: ciphertext in the read model and in the event log
    async with stack.sessions()() as session:
        stored = await session.scalar(select(m.Project.settings).where(m.Project.id == uuid.UUID(pid)))
        graph = await session.scalar(select(m.Workflow.graph).where(m.Workflow.id == uuid.UUID(automation.json()["id"])))
    assert all(rule["target"].startswith(PREFIX) for rule in stored["notifications"]["rules"])
    assert stored["notifications"]["rules"][1]["secret"].startswith(PREFIX)
    assert stored["notifications"]["rules"][0]["events"] == ["issue.created", "run.failed"]
    assert all(n["config"].get("secret", PREFIX).startswith(PREFIX) and n["config"].get("webhook_url", PREFIX).startswith(PREFIX)
               for n in graph["nodes"])
    assert token not in str(stored) + str(graph)
    assert token not in await stream_text(stack, pid)
    # and they still work: an issue goes out to the real Slack URL and the webhook is signed
    created = await api.post(f"/api/v1/projects/{pid}/issues", params={"wait": "true"},
                             json={"title": "Checkout broken", "severity": "high"})
    assert created.status_code == 201

    async def delivered():  # type: ignore[no-untyped-def]
        return outside.at(f"/slack/secret-{token}") and outside.at(f"/hook/{token}")
    await eventually(delivered, timeout=60)
    from cognitest.infra.integrations.signing import verify

    hook = outside.at(f"/hook/{token}")[-1]
    assert verify(signing, hook.raw, hook.headers["x-hub-signature-256"])
    for shown_project in ((await api.get(f"/api/v1/projects/{pid}")).text, (await api.get("/api/v1/projects")).text,
                          (await api.get(f"/api/v1/projects/{pid}/automations")).text):
        assert token not in shown_project
    for name in PROCESSES:  # no line any process logged held a secret (or a URL carrying one)
        assert stack.supervisor.running[name].counts[token] == 0, name


async def test_a_projects_own_integrations_are_used_and_its_guard_applies(stack: PlatformStack, api: httpx.AsyncClient,
                                                                          project: dict, outside: FakeServices) -> None:
    import base64

    from tests.integration.test_triage_alerting import upload

    pid, token = project["id"], uuid.uuid4().hex[:10]
    await bootstrapped(api, pid)
    own = {"jira_url": f"{outside.url}/jira", "jira_email": "team@shop.test", "jira_token": f"jira-{token}",
           "jira_project_key": "SHOP"}
    r = await api.patch(f"/api/v1/projects/{pid}", params={"wait": "true"},
                        json={"settings": {"integrations": own, "issue_sync": ["jira"]}})
    assert r.status_code == 200 and token not in r.text
    assert r.json()["settings"]["integrations"]["jira_token"] == MASK
    bad = await api.patch(f"/api/v1/projects/{pid}", json={"settings": {"integrations": {"jira_url": "ftp://x"}}})
    assert bad.status_code == 422 and "settings.integrations.jira_url" in bad.json()["message"]
    await upload(api, pid, {f"pay-{token}": "AssertionError: total was 0"})

    async def filed():  # type: ignore[no-untyped-def]
        return [x for x in outside.at("/jira/rest/api/2/issue") if x.body and ((x.body.get("fields") or {}).get("project") or {}).get("key") == "SHOP"]
    [created] = await eventually(filed, timeout=60)
    expected = "Basic " + base64.b64encode(f"team@shop.test:jira-{token}".encode()).decode()
    assert created.headers["authorization"] == expected  # the project's own credentials, opened from their seal

    # a project that does not allow private targets: its webhook to 127.0.0.1 is refused, not sent
    locked = await api.patch(f"/api/v1/projects/{pid}", params={"wait": "true"}, json={"settings": {
        "targets": {"allow_private": False},
        "notifications": {"rules": [{"name": "inside", "channel": "webhook", "target": f"{outside.url}/hook/{token}",
                                     "events": ["issue.created"]}]}}})
    assert locked.status_code == 200
    await api.post(f"/api/v1/projects/{pid}/issues", params={"wait": "true"}, json={"title": "internal"})

    async def refused():  # type: ignore[no-untyped-def]
        async with stack.sessions()() as session:
            rows = list(await session.scalars(select(m.Alert).where(m.Alert.project_id == uuid.UUID(pid))))
        return [row for row in rows if not row.ok and "refused" in (row.error or "")]
    [alert] = await eventually(refused, timeout=60)
    assert "loopback or private" in alert.error and not outside.at(f"/hook/{token}")
