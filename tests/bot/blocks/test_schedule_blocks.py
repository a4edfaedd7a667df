"""Scheduled-stop messages: within Slack's limits with thousands of hostile names, typed words
escaped, buttons only while a schedule can change, the time always as a date token."""

from __future__ import annotations

import dataclasses

import pytest
from blocks_limits import assert_within_slack_limits

from bot.blocks.schedule import (
    announcement_message,
    how_far,
    missed_message,
    postpone_view,
    read_schedule_value,
    reminder_message,
    schedule_list_message,
    schedule_value,
    starting_message,
)
from bot.core.models import ScheduleSummary, Skipped, SkipReason
from bot.ids import ActionId, BlockId, CallbackId

AT = 1_800_000_000.0
HOSTILE = "<!channel> & <@U0EVIL> " + "&" * 400
SUMMARY = ScheduleSummary(
    "req_0123456789ab",
    "U0ALICE01",
    tuple(f"<!here>-web-{n}" for n in range(5000)),
    False,
    HOSTILE,
    AT,
    AT,
    "scheduled",
)


def test_an_announcement_of_5000_hostile_names_fits_with_its_buttons() -> None:
    """5,000 names and a hostile reason: a valid message, escaped, with the three buttons."""
    message = announcement_message(SUMMARY, "<@U0ALICE01>")
    assert_within_slack_limits(message)
    text = str(message.blocks)
    for action in (ActionId.SCHEDULE_CANCEL, ActionId.POSTPONE_HOUR, ActionId.POSTPONE_PICK):
        assert action.value in text
    assert "<!here>" not in text
    assert "<!channel>" not in text
    assert "<@U0EVIL>" not in text
    assert "and 4,985 more" in text
    assert f"<!date^{int(AT)}^" in text


@pytest.mark.parametrize("state", ["cancelled", "missed"])
def test_a_closed_schedule_has_no_buttons(state: str) -> None:
    """Cancelled or missed, the announcement keeps its facts and loses its buttons."""
    closed = dataclasses.replace(SUMMARY, state=state, changed_by="U0BOB0001", changed_at=AT)
    message = announcement_message(closed, "<@U0ALICE01>")
    assert_within_slack_limits(message)
    assert BlockId.SCHEDULE_ACTIONS.value not in str(message.blocks)
    assert state.capitalize() in str(message.blocks)


def test_a_postponed_announcement_says_who_and_from_when() -> None:
    """Postponed: by whom, and the time first announced, both as date tokens."""
    moved = dataclasses.replace(
        SUMMARY, state="postponed", run_at=AT + 3600, changed_by="U0BOB0001"
    )
    text = str(announcement_message(moved, "<@U0ALICE01>").blocks)
    assert "postponed by <@U0BOB0001>" in text
    assert f"<!date^{int(AT)}^" in text
    assert f"<!date^{int(AT) + 3600}^" in text


def test_the_postpone_buttons_carry_the_time_they_postpone_from() -> None:
    """A Postpone button's value names the time shown, so a stale click can be told apart."""
    value = schedule_value("req_0123456789ab", AT)
    assert read_schedule_value(value) == ("req_0123456789ab", AT)
    assert read_schedule_value("req_0123456789ab") == ("req_0123456789ab", None)
    assert value in str(announcement_message(SUMMARY, "x").blocks)


def test_reminder_missed_and_starting_messages_fit() -> None:
    """The thread's messages stay valid with the same hostile summary."""
    for message in (
        reminder_message(SUMMARY, AT - 600),
        missed_message(dataclasses.replace(SUMMARY, state="missed", late_by=1200)),
        starting_message(
            5000, 300, [Skipped(f"id-{n}", SkipReason.STOPPED, HOSTILE) for n in range(3000)]
        ),
    ):
        assert_within_slack_limits(message)
        assert "<!channel>" not in str(message.blocks)


def test_the_list_fits_and_says_how_to_change() -> None:
    """A long list of schedules fits, each with its id, time and state."""
    rows = [dataclasses.replace(SUMMARY, request_id=f"req_{n:012d}") for n in range(200)]
    message = schedule_list_message(rows, AT - 7200)
    assert_within_slack_limits(message)
    assert "req_000000000000" in str(message.blocks)
    assert "/bms cancel" in str(message.blocks)


@pytest.mark.parametrize(
    ("left", "said"),
    [(9.99, "in 10 seconds"), (3599, "in 1 hour"), (5470, "in 1 hour 31 minutes")],
)
def test_how_far_is_said_in_whole_units(left: float, said: str) -> None:
    """Seconds under a minute, whole minutes above."""
    assert how_far(AT + left, AT) == said


def test_the_postpone_modal_is_a_valid_modal() -> None:
    """The modal's ids are the ones the view listener reads."""
    view = postpone_view("req_0123456789ab", AT, missed=True)
    assert view["callback_id"] == CallbackId.POSTPONE.value
    assert view["private_metadata"].endswith("|missed")
    [block] = view["blocks"]
    assert block["block_id"] == BlockId.POSTPONE_TIME.value
    assert len(view["title"]["text"]) <= 24
