"""Every way a Slack call fails becomes a SlackFailure the flow can act on."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.message import Message
from bot.slack.edit_gate import ProgressGate
from bot.slack.poster import NotInChannel, Poster, SlackFailure
from tests.fakes.slack_api import FakeSlack

HELLO = Message(text="hello", blocks=[])


async def test_unreachable_slack_is_a_transient_failure() -> None:
    """No answer at all (connection refused) is a SlackFailure marked transient."""
    poster = Poster(AsyncWebClient(token="xoxb-1", base_url="http://127.0.0.1:1/api/"))
    with pytest.raises(SlackFailure) as caught:
        await poster.post("C1", HELLO)
    assert caught.value.transient


async def test_not_in_channel_and_final_errors() -> None:
    """not_in_channel is NotInChannel; an invalid token is final, not transient."""
    async with FakeSlack() as slack:
        slack.add_channel("G1", member=False, private=True)
        slack.add_channel("C1")
        poster = Poster(AsyncWebClient(token="xoxb-test", base_url=slack.api_url))
        with pytest.raises(NotInChannel):
            await poster.post("G1", HELLO)
        wrong = Poster(AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url))
        with pytest.raises(SlackFailure) as caught:
            await wrong.post("C1", HELLO)
        assert caught.value.error == "invalid_auth"
        assert not caught.value.transient


async def test_rate_limited_carries_retry_after() -> None:
    """A 429 is transient and carries Slack's Retry-After."""
    async with FakeSlack(rate_limits={"chat.update": 1}) as slack:
        slack.add_channel("C1")
        poster = Poster(AsyncWebClient(token="xoxb-test", base_url=slack.api_url))
        ts = await poster.post("C1", HELLO)
        await poster.update("C1", ts, HELLO, best_effort=True)
        with pytest.raises(SlackFailure) as caught:
            await poster.update("C1", ts, HELLO, best_effort=True)
        assert caught.value.error == "ratelimited"
        assert caught.value.transient
        assert caught.value.retry_after is not None


async def test_non_json_error_page_is_a_failure() -> None:
    """An HTML 5xx page instead of Slack's JSON is a transient SlackFailure, not a crash."""
    async with FakeSlack() as slack:
        slack.add_channel("C1")
        slack.fail_next("chat.postMessage", "internal_error", status=503)
        poster = Poster(
            AsyncWebClient(token="xoxb-test", base_url=slack.api_url, retry_handlers=[])
        )
        with pytest.raises(SlackFailure) as caught:
            await poster.post("C1", HELLO)
        assert caught.value.transient


async def test_edit_within_the_gate_and_paused_by_a_429() -> None:
    """A progress edit refused with 429 is skipped, never raised, and holds back the next one;
    a final edit still goes out."""
    async with FakeSlack(rate_limits={"chat.update": 1}) as slack:
        slack.add_channel("C1")
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url, retry_handlers=[])
        poster = Poster(client, edits=ProgressGate(0))
        ts = await poster.post("C1", HELLO)
        assert await poster.edit("C1", ts, HELLO, key="req_1")
        assert not await poster.edit("C1", ts, HELLO, key="req_1")  # 429: skipped, not raised
        calls = len(slack.calls_to("chat.update"))
        assert not await poster.edit("C1", ts, HELLO, key="req_1")  # held: not even tried
        assert len(slack.calls_to("chat.update")) == calls


async def test_simulated_poster_marks_everything_it_sends() -> None:
    """With a stand-in backend the banner goes on posts, edits and acks alike."""
    async with FakeSlack() as slack:
        slack.add_channel("C1")
        poster = Poster(AsyncWebClient(token="xoxb-test", base_url=slack.api_url), simulated=True)
        ts = await poster.post("C1", HELLO)
        await poster.update("C1", ts, HELLO)
        assert slack.messages[("C1", ts)].text.startswith("[BMS simulator]")
        for call in slack.calls_to("chat.postMessage") + slack.calls_to("chat.update"):
            assert "no real servers are affected" in str(call.args["blocks"])
        assert poster.ack_kwargs(HELLO)["text"].startswith("[BMS simulator]")


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_html_error_pages_are_transient(status: int) -> None:
    """Any 5xx with an HTML page (slack_sdk reads it as empty data) is transient, not final."""
    async with FakeSlack() as slack:
        slack.add_channel("C1")
        slack.fail_next("chat.postMessage", status=status, html=True)
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url, retry_handlers=[])
        with pytest.raises(SlackFailure) as caught:
            await Poster(client).post("C1", HELLO)
        assert caught.value.transient
        assert caught.value.error == f"http_{status}"
