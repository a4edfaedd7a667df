"""Tests for Message and the Block Kit pieces, and for the limits helper itself."""

from __future__ import annotations

import pytest
from blocks_limits import assert_no_injection, assert_within_slack_limits

from bot.blocks.message import (
    Message,
    build,
    button,
    confirm_dialog,
    context,
    fit_lines,
    header,
    section,
    sections_from_lines,
    with_simulator_banner,
)
from bot.ids import BlockId


def test_as_kwargs_without_metadata():
    """as_kwargs gives text and blocks, and metadata only when there is some."""
    message = Message("hi", [section("hi")])
    assert message.as_kwargs() == {"text": "hi", "blocks": [section("hi")]}
    tagged = Message("hi", [], metadata={"event_type": "x", "event_payload": {}})
    assert tagged.as_kwargs()["metadata"] == {"event_type": "x", "event_payload": {}}


def test_pieces_clip_to_slack_limits():
    """Headers, sections, contexts, buttons and confirm dialogs are clipped to their limits."""
    huge = "🔥&<" * 3000
    dialog = confirm_dialog(huge, huge, huge, huge)
    actions = {
        "type": "actions",
        "block_id": "a",
        "elements": [button(huge, "a", "v" * 5000, style="danger", confirm=dialog)],
    }
    for block in (header(huge), section(huge), context(*([huge] * 20)), actions):
        assert_within_slack_limits(Message("x", [block]))
    assert len(context(*(["c"] * 20))["elements"]) == 10
    assert len(actions["elements"][0]["value"]) == 2000


def test_sections_from_lines_keep_every_line_in_order():
    """Packing lines into sections loses no line and keeps each section within limits."""
    lines = [f"line {i} " + "x" * 90 for i in range(300)]
    sections = sections_from_lines(lines)
    assert len(sections) > 1
    joined = "\n".join(s["text"]["text"] for s in sections)
    assert joined.split("\n") == lines
    assert all(len(s["text"]["text"]) <= 3000 for s in sections)


def test_fit_lines_counts_what_is_left_out():
    """fit_lines shows what fits the budget and counts the rest."""
    lines = [f"row {i}" for i in range(100)]
    shown, hidden = fit_lines(lines, budget=10_000, max_lines=10)
    assert hidden == 90
    assert shown[0]["text"]["text"].split("\n") == lines[:10]
    tight, left = fit_lines(["x" * 200] * 10, budget=700, max_lines=10)
    assert 0 < left < 10
    assert sum(len(s["text"]["text"].split("\n")) for s in tight) == 10 - left


def test_simulator_banner_goes_after_header():
    """Simulated messages get the banner right under the header and a marked fallback."""
    message = with_simulator_banner(build("hello", [header("H"), section("body")]))
    assert message.blocks[1]["block_id"] == BlockId.SIMULATOR_BANNER
    assert "no real servers are affected" in message.blocks[1]["elements"][0]["text"]
    assert message.text.startswith("[BMS simulator]")


def test_build_never_leaves_fallback_empty_or_long():
    """The fallback text is never empty and at most 3000 characters."""
    assert build("  ", [section("x")]).text == "bms-bot"
    assert len(build("y" * 10_000, [section("x")]).text) <= 3000


def test_limits_helper_catches_too_many_blocks():
    """The limits helper fails on 51 blocks."""
    with pytest.raises(AssertionError):
        assert_within_slack_limits(Message("x", [section("a")] * 51))


def test_limits_helper_catches_long_section():
    """The limits helper fails on a 3001-character section."""
    block = {"type": "section", "text": {"type": "mrkdwn", "text": "a" * 3001}}
    with pytest.raises(AssertionError):
        assert_within_slack_limits(Message("x", [block]))


def test_limits_helper_catches_big_message():
    """The limits helper fails when the serialized message reaches 12,000 characters."""
    with pytest.raises(AssertionError):
        assert_within_slack_limits(Message("x", [section("a" * 2900)] * 5))


def test_limits_helper_catches_long_button_text():
    """The limits helper fails on a 76-character button label."""
    element = {"type": "button", "text": {"type": "plain_text", "text": "b" * 76}, "action_id": "a"}
    with pytest.raises(AssertionError):
        assert_within_slack_limits(Message("x", [{"type": "actions", "elements": [element]}]))


def test_injection_helper_catches_raw_mention():
    """The injection helper fails on an unescaped broadcast."""
    with pytest.raises(AssertionError):
        assert_no_injection(Message("x", [section("hi <!channel>")]))


def test_build_shrinks_an_oversized_message_instead_of_failing():
    """A builder mistake (too many or too big blocks) still yields a valid, marked message."""
    message = build("x", [header("H")] + [section("y" * 2900)] * 60 + [context("tail")])
    assert_within_slack_limits(message)
    assert message.blocks[0] == header("H")
    assert "shortened" in message.blocks[-1]["elements"][0]["text"]
