"""The bus trusts nobody it has not signed in: no anonymous client, no wrong password, and each
kind of platform process may publish and read only what it needs. Against the session's real
nats-server, configured exactly as `cognitest up` configures it."""

import asyncio
import json
import uuid

import nats
import pytest
from nats.errors import Error as NatsError

from cognitest.infra.bus.auth import ROLES, authorization_block, connect_options
from cognitest.schemas import new_event
from cognitest.schemas.events.projects import MemberAdded
from cognitest.schemas.subjects import EVENTS_STREAM, event_subject
from tests.support.stack import PlatformStack


async def _client(stack: PlatformStack, errors: list[str], **options):  # type: ignore[no-untyped-def]
    async def on_error(exc: Exception) -> None:
        errors.append(str(exc))

    return await nats.connect(stack.settings.nats.effective_url, allow_reconnect=False, connect_timeout=3,
                              error_cb=on_error, **options)


@pytest.mark.parametrize("options", [{}, {"user": "api", "password": "guess"}, {"user": "nobody", "password": "x"}],
                         ids=["anonymous", "wrong password", "unknown user"])
async def test_a_client_without_valid_credentials_cannot_connect(stack: PlatformStack, options: dict) -> None:
    errors: list[str] = []
    with pytest.raises(Exception) as refused:  # nats-py raises several types for a refused connection
        nc = await _client(stack, errors, **options)
        await nc.close()
    assert "authorization" in (str(refused.value) + " ".join(errors)).lower()


async def test_a_forged_member_event_cannot_reach_the_bus_without_credentials(stack: PlatformStack, project: dict,
                                                                             api) -> None:  # type: ignore[no-untyped-def]
    """The review's attack: publish member.added (owner) straight onto the subject. Refused at
    connect; and with the worker's credentials (which may publish events) the actor is still
    whatever the platform's processes set, so the check is that strangers cannot connect at all."""
    event = new_event(MemberAdded(user_id="mallory@example.com", role="owner"), project_id=project["id"], actor="admin")
    errors: list[str] = []
    with pytest.raises(Exception):  # noqa: B017  nats-py raises its own types for a refused login
        nc = await _client(stack, errors)
        await nc.publish(event_subject(project["id"], "member.added"), event.model_dump_json().encode())
        await nc.close()
    members = (await api.get(f"/api/v1/projects/{project['id']}/members")).json()["items"]
    assert "mallory@example.com" not in {m["user_id"] for m in members}


async def test_the_worker_may_publish_events_but_never_read_the_log(stack: PlatformStack, project: dict) -> None:
    errors: list[str] = []
    worker = await _client(stack, errors, **connect_options(stack.settings, "worker"))
    try:
        got: list[bytes] = []

        async def collect(msg) -> None:  # type: ignore[no-untyped-def]
            got.append(msg.data)

        await worker.subscribe(f"cognitest.events.{project['id']}.>", cb=collect)
        await worker.subscribe("_INBOX_api.>", cb=collect)  # another process's replies
        await worker.flush()
        js = worker.jetstream(timeout=2)
        with pytest.raises((NatsError, asyncio.TimeoutError)):
            await js.add_consumer(EVENTS_STREAM, durable_name=f"sniffer-{uuid.uuid4().hex[:6]}")
        with pytest.raises((NatsError, asyncio.TimeoutError)):
            await js.delete_stream(EVENTS_STREAM)
        await worker.publish("cognitest.dlq.projection._._", b"{}")  # not the worker's to write
        await worker.flush()
        # an event published by the platform meanwhile is not seen by the worker
        await stack.publisher.publish(new_event(MemberAdded(user_id="nobody@example.com", role="viewer"),
                                                project_id=project["id"]))
        await asyncio.sleep(0.5)
        assert got == []
        violations = [e for e in errors if "permissions violation" in e.lower()]
        assert any("subscription" in v.lower() and "cognitest.events" in v for v in violations), errors
        assert any("publish" in v.lower() and "cognitest.dlq" in v for v in violations), errors
        # what it is for still works
        ack = await js.publish(event_subject(project["id"], "plan.created"), json.dumps({}).encode(),
                               headers={"Nats-Msg-Id": str(uuid.uuid4())})
        assert ack.stream == EVENTS_STREAM
    finally:
        await worker.close()
    assert (await stack.publisher.js.stream_info(EVENTS_STREAM)).config.name == EVENTS_STREAM


async def test_the_api_cannot_write_dead_letters_or_delete_streams(stack: PlatformStack) -> None:
    errors: list[str] = []
    api = await _client(stack, errors, **connect_options(stack.settings, "api"))
    try:
        await api.publish("cognitest.dlq.projection._._", b"{}")
        await api.flush()
        with pytest.raises((NatsError, asyncio.TimeoutError)):
            await api.jetstream(timeout=2).purge_stream(EVENTS_STREAM)
        await asyncio.sleep(0.2)
        assert any("permissions violation" in e.lower() and "cognitest.dlq" in e for e in errors), errors
    finally:
        await api.close()


def test_every_role_has_its_own_inbox_and_no_anonymous_user() -> None:
    block = authorization_block({name: f"$NATS_{name.upper()}_PASSWORD" for name in ROLES})
    assert "no_auth_user" not in block
    for role in ("api", "consumers", "worker"):
        assert f'"_INBOX_{role}.>"' in block
        assert '"_INBOX.>"' not in block
