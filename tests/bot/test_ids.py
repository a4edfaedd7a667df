"""Tests for the Slack identifier enums."""

from __future__ import annotations

from bot.ids import ActionId, BlockId, MetadataEvent


def test_action_ids_are_the_wire_values():
    """The button action ids are the values posted messages already carry."""
    assert ActionId.CONFIRM == "bms_stop_confirm"
    assert ActionId.CANCEL == "bms_stop_cancel"


def test_ids_are_unique_and_within_slack_limits():
    """No two ids share a value and each fits Slack's 255-character limit."""
    values = [m.value for enum in (ActionId, BlockId, MetadataEvent) for m in enum]
    assert len(values) == len(set(values))
    assert all(0 < len(v) <= 255 for v in values)
