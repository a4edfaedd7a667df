"""Tests for the ephemeral stop preview."""

from __future__ import annotations

import json

import pytest
from block_factories import HOSTILE, LONG_REASON, WEIRD_NAME, preview, simulated
from blocks_limits import assert_no_injection, assert_within_slack_limits

from bot.blocks.preview import preview_message
from bot.ids import ActionId, BlockId


def _text(message) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


def _actions(message):
    return [b for b in message.blocks if b["type"] == "actions"]


@pytest.mark.parametrize("count", [1, 50, 1000, 5000])
@pytest.mark.parametrize("name", ["web", WEIRD_NAME, HOSTILE])
@pytest.mark.parametrize("reason", [None, "disk alarm", LONG_REASON, HOSTILE])
def test_preview_within_limits(count, name, reason):
    """Any number of servers, any names and reasons: within every Slack limit."""
    p = preview(count, unknown=count, stopped=count // 2, stopping=3, name=name, reason=reason)
    message = preview_message(p)
    assert_within_slack_limits(message)
    assert_no_injection(message)


def test_header_counts_and_type():
    """The header asks the question and the summary gives every count and HARD."""
    message = preview_message(preview(3, unknown=2, stopped=1, stopping=4))
    assert message.blocks[0]["text"]["text"] == "Stop 3 servers?"
    summary = message.blocks[1]["text"]["text"]
    assert "*Will stop 3* · unknown 2 · already stopped 1 · stopping 4" in summary
    assert "*HARD*" in summary
    assert "Reason: disk alarm" in summary


def test_singular_wording():
    """One server reads as one server."""
    assert preview_message(preview(1)).blocks[0]["text"]["text"] == "Stop 1 server?"


def test_soft_is_said_plainly():
    """SOFT is named as performed as HARD, in the summary and the confirm dialog."""
    message = preview_message(preview(2, soft=True))
    assert "SOFT requested — Huawei Cloud performs it as a forced (HARD) stop" in _text(message)
    confirm = _actions(message)[0]["elements"][0]["confirm"]
    assert "HARD" in confirm["text"]["text"]
    assert "SOFT" in confirm["text"]["text"]


def test_buttons_confirm_and_cancel():
    """A danger Stop button with a confirm dialog, and Cancel; both carry the request id."""
    (actions,) = _actions(preview_message(preview(40)))
    assert actions["block_id"] == BlockId.PREVIEW_ACTIONS
    stop, cancel = actions["elements"]
    assert stop["action_id"] == ActionId.CONFIRM
    assert stop["style"] == "danger"
    assert stop["value"] == "req_8c1e2d"
    assert stop["text"]["text"] == "Stop 40 servers"
    assert stop["confirm"]["title"]["text"] == "Stop 40 servers?"
    assert "40 servers" in stop["confirm"]["text"]["text"]
    assert stop["confirm"]["confirm"]["text"] == "Stop them"
    assert stop["confirm"]["deny"]["text"] == "Keep running"
    assert cancel["action_id"] == ActionId.CANCEL
    assert cancel["value"] == "req_8c1e2d"


def test_first_rows_then_more():
    """Large previews list the first targets then how many more."""
    text = _text(preview_message(preview(1000)))
    assert "web-0 `00000000-0000-0000-0000-000000000001` ACTIVE" in text
    assert "…and 985 more" in text
    assert "web-999" not in text


def test_skipped_grouped_by_reason_with_counts():
    """Skipped ids are grouped by reason, each with a count and the first rows."""
    text = _text(preview_message(preview(2, unknown=30, stopped=1, stopping=2)))
    assert "*Skipped: 30 ids not found in this project*" in text
    assert "*Skipped: 1 id already stopped*" in text
    assert "*Skipped: 2 ids already stopping*" in text
    assert "…and 25 more" in text


def test_expiry_and_request_id_in_context():
    """The expiry is a Slack date and the request id is shown."""
    contexts = [b for b in preview_message(preview(1)).blocks if b["type"] == "context"]
    text = json.dumps(contexts)
    assert "<!date^1764255600^{date_short_pretty} {time}|2025-11-27 15:00 UTC>" in text
    assert "req_8c1e2d" in text


def test_nothing_to_stop_has_no_actions_and_says_why():
    """With no targets there are no buttons, and each skipped group says why."""
    message = preview_message(preview(0, unknown=3, stopped=2))
    assert not _actions(message)
    text = _text(message)
    assert "Nothing to stop" in text
    assert "not found in this project" in text
    assert "already stopped" in text
    assert_within_slack_limits(message)


def test_nothing_to_stop_at_scale():
    """Five thousand skipped ids and no targets still fit."""
    message = preview_message(
        preview(0, unknown=5000, stopped=5000, stopping=5000, name=WEIRD_NAME)
    )
    assert_within_slack_limits(message)
    assert not _actions(message)


def test_hostile_names_and_reason_are_escaped():
    """Broadcasts, mentions and links in names or the reason never render."""
    message = preview_message(preview(3, stopped=2, name=HOSTILE, reason=HOSTILE))
    assert_no_injection(message)
    assert "&lt;!channel&gt;" in _text(message)
    assert "\u202e" not in _text(message)


def test_simulated_banner():
    """A simulated preview says it is the simulator; a real one does not."""
    assert "no real servers are affected" in _text(simulated(preview_message(preview(1))))
    assert "no real servers are affected" not in _text(preview_message(preview(1)))
    nothing = simulated(preview_message(preview(0, unknown=1)))
    assert "no real servers are affected" in _text(nothing)


def test_the_fallback_text_says_what_the_preview_asks() -> None:
    """Notifications read the fallback: "Stop 2 servers?" now, "Schedule the stop…" later."""
    import dataclasses
    from datetime import UTC, datetime

    assert preview_message(preview(2)).text.startswith("Stop 2 servers? Preview of request")
    later = dataclasses.replace(preview(2), run_at=datetime(2027, 1, 15, 22, tzinfo=UTC))
    message = preview_message(later, when="🗓️ *When:* …")
    assert message.text.startswith("Schedule the stop of 2 servers? Preview of request")
    dialog = json.dumps(_actions(message))
    assert "<!date" not in dialog, "a confirm dialog is plain text: no date tokens"
    assert "2027-01-15 22:00 UTC" in dialog
