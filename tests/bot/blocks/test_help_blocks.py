"""Tests for the help message."""

from __future__ import annotations

import pytest
from block_factories import simulated
from blocks_limits import assert_no_injection, assert_within_slack_limits

from bot.blocks.help import help_message
from bot.core.parser import USAGE


def _all_text(message):
    return "\n".join(
        b["text"]["text"] if "text" in b else " ".join(e["text"] for e in b["elements"])
        for b in message.blocks
    )


@pytest.mark.parametrize("as_simulator", [False, True])
def test_help_within_limits(as_simulator):
    """The help message fits Slack's limits, simulated or not."""
    message = simulated(help_message()) if as_simulator else help_message()
    assert_within_slack_limits(message)
    assert_no_injection(message)


def test_help_explains_usage_flow_and_mention_form():
    """Help shows usage, the preview → confirm → thread flow, and the mention form for threads."""
    text = _all_text(help_message())
    assert USAGE.replace("<", "&lt;").replace(">", "&gt;") in text or USAGE in text
    assert "preview" in text
    assert "thread" in text
    assert "*Stop*" in text
    assert "@bms-bot stop" in text
    assert "forced (HARD)" in text


def test_help_usage_is_escaped():
    """The `<server-id>` placeholders cannot be read as Slack markup."""
    assert "<server-id>" not in _all_text(help_message())


def test_simulated_help_says_so():
    """The simulated help carries the simulator banner."""
    assert "no real servers are affected" in _all_text(simulated(help_message()))
    assert "no real servers are affected" not in _all_text(help_message())


def test_simulator_samples_listed() -> None:
    """In simulator mode, help lists servers to try, escaped, at most five."""
    samples = [(f"web-<{i}>", f"0000000{i}-0000-4000-8000-000000000000") for i in range(8)]
    text = _all_text(simulated(help_message(samples)))
    assert "web-&lt;0&gt;" in text
    assert "00000004-0000-4000-8000-000000000000" in text
    assert "00000005-0000-4000-8000-000000000000" not in text


def test_help_states_the_configured_confirmation_window():
    """The help says how long a preview can be confirmed, as configured."""
    assert "for 1 minute 30 seconds" in _all_text(help_message(confirm_ttl=90))
    assert "for 10 minutes" in _all_text(help_message())
