"""Tests of the fake's Block Kit and message-size rules (pure functions, no I/O)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fakes.slack_limits import check_message, truncate_text, validate_message


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def button(**overrides: Any) -> dict[str, Any]:
    return {"type": "button", "text": plain("Stop"), "action_id": "stop", "value": "v"} | overrides


def actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "block_id": "a", "elements": list(elements)}


CONFIRM = {
    "title": plain("Sure?"),
    "text": plain("Stops 2"),
    "confirm": plain("Yes"),
    "deny": plain("No"),
}
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}


def test_a_well_formed_message_passes() -> None:
    """Sections, headers, context, dividers and a confirmed danger button are all accepted."""
    blocks = [
        {"type": "header", "text": plain("Stop servers")},
        SECTION | {"block_id": "s", "fields": [{"type": "mrkdwn", "text": "f"}] * 10},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 10},
        {"type": "divider"},
        actions(
            button(style="danger", confirm=CONFIRM | {"style": "danger"}), button(action_id="x")
        ),
    ]
    assert check_message("fallback", blocks) is None


@pytest.mark.parametrize(
    ("block", "pointer"),
    [
        (actions(button(text=plain("x" * 76))), "/blocks/0/elements/0/text/text"),
        (actions(button(text={"type": "mrkdwn", "text": "x"})), "/blocks/0/elements/0/text/type"),
        (actions(button(value="v" * 2001)), "/blocks/0/elements/0/value"),
        (actions(button(action_id="a" * 256)), "/blocks/0/elements/0/action_id"),
        (actions(button(style="default")), "/blocks/0/elements/0/style"),
        (actions(button(confirm=CONFIRM | {"title": plain("t" * 101)})), "/confirm/title/text"),
        (actions(button(confirm=CONFIRM | {"text": plain("t" * 301)})), "/confirm/text/text"),
        (actions(button(confirm=CONFIRM | {"confirm": plain("c" * 31)})), "/confirm/confirm/text"),
        (actions(button(confirm={"title": plain("t")})), "/confirm/text"),
        (actions(*[button(action_id=f"b{n}") for n in range(26)]), "/blocks/0/elements"),
        (actions(button(), button()), "/blocks/0/elements/1/action_id"),
        (actions(button(colour="red")), "/blocks/0/elements/0/colour"),
        ({"type": "header", "text": plain("h" * 151)}, "/blocks/0/text/text"),
        ({"type": "header", "text": {"type": "mrkdwn", "text": "h"}}, "/blocks/0/text/type"),
        (SECTION | {"text": {"type": "mrkdwn", "text": "s" * 3001}}, "/blocks/0/text/text"),
        (SECTION | {"text": {"type": "mrkdwn", "text": ""}}, "/blocks/0/text/text"),
        (
            SECTION | {"text": {"type": "mrkdwn", "text": "x", "emoji": True}},
            "/blocks/0/text/emoji",
        ),
        (SECTION | {"fields": [plain("f")] * 11}, "/blocks/0/fields"),
        (SECTION | {"fields": [plain("f" * 2001)]}, "/blocks/0/fields/0/text"),
        ({"type": "section"}, "/blocks/0"),
        ({"type": "context", "elements": [plain("c")] * 11}, "/blocks/0/elements"),
        (SECTION | {"block_id": "b" * 256}, "/blocks/0/block_id"),
        ({"type": "input", "label": plain("x"), "element": {}}, "/blocks/0/type"),
    ],
)
def test_block_kit_violations_are_invalid_blocks(block: dict[str, Any], pointer: str) -> None:
    """Each Block Kit limit violation is invalid_blocks, naming the offending field."""
    problem = check_message("fallback", [block])
    assert problem is not None
    assert problem.error == "invalid_blocks"
    assert any(pointer in line for line in problem.messages), problem.messages


def test_block_ids_must_be_unique() -> None:
    """Two blocks with the same block_id make the message invalid."""
    problem = check_message("t", [SECTION | {"block_id": "same"}, SECTION | {"block_id": "same"}])
    assert problem is not None
    assert "duplicate block_id" in problem.messages[0]


def test_text_fallback_is_always_required() -> None:
    """Missing, empty or blank text is no_text even when blocks carry the content."""
    for text in (None, "", "   "):
        assert validate_message(text, [SECTION]) == "no_text"


def test_blocks_must_be_an_array() -> None:
    """A blocks value that is not a list is invalid_blocks_format."""
    assert validate_message("t", {"type": "section"}) == "invalid_blocks_format"


def test_size_limit_counts_text_and_blocks() -> None:
    """12,000 characters of text plus compact blocks JSON pass, one more does not."""
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2900}}] * 3
    blocks_chars = len(json.dumps(blocks, separators=(",", ":")))
    text = "t" * (12_000 - blocks_chars)
    assert validate_message(text, blocks) is None
    assert validate_message(text + "!", blocks) == "msg_blocks_too_long"


def test_text_alone_may_exceed_the_block_limit_and_is_truncated_past_40k() -> None:
    """Plain text up to 40,000 characters is fine; longer text is cut, not rejected."""
    assert validate_message("t" * 39_999, None) is None
    assert truncate_text("t" * 40_001) == ("t" * 40_000, True)
    assert truncate_text("short") == ("short", False)


async def test_channel_posts_beyond_the_burst_are_rate_limited() -> None:
    """Like Slack, about one post a second per channel: a burst of 5, then 429 with Retry-After;
    another channel has its own allowance."""
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    from tests.fakes.slack_api import FakeSlack

    async with FakeSlack() as slack:
        slack.add_channel("C1")
        slack.add_channel("C2")
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        for _ in range(5):
            await client.chat_postMessage(channel="C1", text="hi")
        with pytest.raises(SlackApiError) as caught:
            await client.chat_postMessage(channel="C1", text="one too many")
        assert caught.value.response.status_code == 429
        assert int(caught.value.response.headers["Retry-After"]) >= 1
        await client.chat_postMessage(channel="C2", text="hi")
