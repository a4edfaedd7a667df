"""Reading where a request came from, for every body shape Slack sends."""

from __future__ import annotations

from bot.slack.place import place_of
from tests.fakes.slack_requests import (
    ALICE,
    CHANNEL,
    app_mention_payload,
    block_action_payload,
    slash_command_payload,
)


def test_slash_command() -> None:
    """A command answers through its response URL, in its channel."""
    place = place_of(slash_command_payload("help", response_url="http://r"), "command")
    assert place is not None
    assert (place.channel_id, place.user_id, place.response_url) == (CHANNEL, ALICE, "http://r")
    assert place.team_id == "T0001"


def test_click_in_a_thread() -> None:
    """A click carries its channel, team, response URL and, in a thread, the thread."""
    body = block_action_payload(
        "bms_stop_confirm", "req_1", response_url="http://a", message_ts="1.2", thread_ts="1.0"
    )
    place = place_of(body, "click")
    assert place is not None
    assert (place.channel_id, place.user_id, place.team_id) == (CHANNEL, ALICE, "T0001")
    assert place.response_url == "http://a"


def test_mention_answers_in_its_thread() -> None:
    """A mention has no response URL: the answer goes to its thread."""
    body = app_mention_payload("<@U0BOT> help", ts="2.0", thread_ts="1.0", event_id="Ev1")
    place = place_of(body, "mention")
    assert place is not None
    assert (place.channel_id, place.thread_ts, place.response_url) == (CHANNEL, "1.0", None)


def test_nothing_to_answer() -> None:
    """A body naming no person or channel gives None."""
    assert place_of({"type": "url_verification"}, "error") is None


def test_a_click_on_a_public_message_names_it() -> None:
    """A click on a public message carries that message's ts; on an ephemeral one, none."""
    body = block_action_payload("bms_approve", "req_1", response_url="http://a", message_ts="1.2")
    body["container"] |= {"type": "message", "is_ephemeral": False}
    place = place_of(body, "click")
    assert place is not None
    assert place.clicked_ts == "1.2"
    body["container"]["is_ephemeral"] = True
    ephemeral = place_of(body, "click")
    assert ephemeral is not None
    assert ephemeral.clicked_ts is None
