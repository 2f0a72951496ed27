"""Slack through its Web API (a bot token): a post carries its delivery key in the message's
metadata, an interrupted post is found in the channel by that key, Slack's `ok: false` answers are
failures (retryable only when Slack says it is busy), and a channel without a bot token is a
configuration error, not a silent webhook post."""

import pytest

from cognitest.infra.integrations.outbound import DeliveryFailed, NotConfigured, Outbound
from cognitest.infra.settings import IntegrationsSettings
from tests.support.fake_services import SLACK_BOT_TOKEN, FakeServices


@pytest.fixture
def slack():
    services = FakeServices()
    yield services
    services.close()


def outbound(slack: FakeServices, **values: str) -> Outbound:
    return Outbound(IntegrationsSettings(slack_api_url=f"{slack.url}/slack-api", slack_webhook_url=f"{slack.url}/slack/x",
                                         **values))


async def test_a_post_is_found_again_by_its_key(slack: FakeServices) -> None:
    out = outbound(slack, slack_bot_token=SLACK_BOT_TOKEN)
    try:
        sent = await out.slack("run failed", "C0ALERTS", blocks=[{"type": "section"}], key="alert:e1:0")
        assert sent["channel"] == "C0ALERTS" and sent["ts"]
        [message] = slack.slack_messages
        assert message["metadata"] == {"event_type": "cognitest_delivery", "event_payload": {"key": "alert:e1:0"}}
        assert message["blocks"] == [{"type": "section"}] and message["text"] == "run failed"
        found = await out.slack_find("C0ALERTS", "alert:e1:0")
        assert found is not None and found["ts"] == sent["ts"]
        assert await out.slack_find("C0ALERTS", "alert:e2:0") is None
        assert await out.slack_find("COTHER", "alert:e1:0") is None
        # an incoming webhook cannot be asked: the caller posts again (with the same text)
        assert await out.slack_find(f"{slack.url}/slack/x", "alert:e1:0") is None
    finally:
        await out.close()


async def test_slack_refusals_are_failures(slack: FakeServices) -> None:
    wrong = outbound(slack, slack_bot_token="xoxb-wrong")
    try:
        with pytest.raises(DeliveryFailed) as refused:
            await wrong.slack("x", "C0ALERTS")
        assert "invalid_auth" in str(refused.value) and not refused.value.retryable
    finally:
        await wrong.close()
    plain = outbound(slack)
    try:
        with pytest.raises(NotConfigured, match="bot token"):
            await plain.slack("x", "C0ALERTS")
        assert not slack.slack_messages
        sent = await plain.slack("x")  # no channel, no token: the default incoming webhook
        assert sent["status_code"] == 200 and slack.at("/slack/x")
    finally:
        await plain.close()


async def test_the_default_channel_is_used_with_a_bot_token(slack: FakeServices) -> None:
    out = outbound(slack, slack_bot_token=SLACK_BOT_TOKEN, slack_channel="C0DEFAULT")
    try:
        await out.slack("hello", key="k1")
        assert [m["channel"] for m in slack.slack_messages] == ["C0DEFAULT"]
        assert not slack.at("/slack/x")
        assert (await out.slack_find(None, "k1"))["channel"] == "C0DEFAULT"
    finally:
        await out.close()
