"""Tests for the rules of a scheduled stop (``bot.core.schedule``), in epoch seconds."""

from __future__ import annotations

import pytest

from bot.core.schedule import (
    DEFAULT_GRACE,
    DEFAULT_REMINDERS,
    LATE_WORTH_SAYING,
    Due,
    ReminderPlan,
    Scheduling,
    due,
    late_by,
    next_wake,
    reminders_due,
)

RUN_AT = 1_800_000_000.0  # a fixed moment; nothing here reads the clock
HOUR = 3600.0
TEN_MIN = 600.0


def test_defaults_are_the_documented_ones() -> None:
    """By default: reminders an hour and ten minutes before, 15 minutes' grace, 90 days ahead."""
    rules = Scheduling()
    assert rules.reminders == DEFAULT_REMINDERS == (3600.0, 600.0)
    assert rules.grace == DEFAULT_GRACE == 900.0
    assert rules.horizon_days == 90


# Scheduling.reminder_times


def test_reminder_times_all_ahead_earliest_first() -> None:
    """Long before the time every reminder is ahead, the earliest (largest offset) first."""
    rules = Scheduling(reminders=(600.0, 3600.0, 86400.0))
    assert rules.reminder_times(RUN_AT, RUN_AT - 2 * 86400) == [
        (86400.0, RUN_AT - 86400),
        (3600.0, RUN_AT - 3600),
        (600.0, RUN_AT - 600),
    ]


def test_reminder_times_skip_offsets_already_past() -> None:
    """Half an hour before the time the one-hour reminder is skipped; the ten-minute one stays."""
    assert Scheduling().reminder_times(RUN_AT, RUN_AT - 1800) == [(TEN_MIN, RUN_AT - TEN_MIN)]


def test_a_reminder_due_exactly_now_is_skipped() -> None:
    """A reminder whose due time is exactly now is not ahead, so it is skipped."""
    assert Scheduling().reminder_times(RUN_AT, RUN_AT - HOUR) == [(TEN_MIN, RUN_AT - TEN_MIN)]


def test_a_reminder_due_just_after_now_is_kept() -> None:
    """A reminder due a fraction of a second after now is still ahead."""
    assert Scheduling().reminder_times(RUN_AT, RUN_AT - HOUR - 0.5) == [
        (HOUR, RUN_AT - HOUR),
        (TEN_MIN, RUN_AT - TEN_MIN),
    ]


@pytest.mark.parametrize("now", [RUN_AT - 300, RUN_AT, RUN_AT + 60])
def test_no_reminders_when_all_are_past(now: float) -> None:
    """Inside the last reminder's offset, at the time or after it, no reminder is left."""
    assert Scheduling().reminder_times(RUN_AT, now) == []


def test_no_reminders_configured() -> None:
    """With no reminder offsets configured there are none to schedule."""
    assert Scheduling(reminders=()).reminder_times(RUN_AT, RUN_AT - HOUR) == []


def test_duplicate_offsets_collapse() -> None:
    """The same offset given twice is one reminder."""
    rules = Scheduling(reminders=(600.0, 3600.0, 600.0, 3600.0))
    assert rules.reminder_times(RUN_AT, RUN_AT - 2 * HOUR) == [
        (HOUR, RUN_AT - HOUR),
        (TEN_MIN, RUN_AT - TEN_MIN),
    ]


# due


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (RUN_AT - HOUR, Due.WAIT),
        (RUN_AT - 0.001, Due.WAIT),
        (RUN_AT, Due.RUN),
        (RUN_AT + 1, Due.RUN),
        (RUN_AT + DEFAULT_GRACE, Due.RUN),
        (RUN_AT + DEFAULT_GRACE + 0.001, Due.MISSED),
        (RUN_AT + 86400, Due.MISSED),
    ],
)
def test_due(now: float, expected: Due) -> None:
    """Before the time WAIT; at it and up to the grace inclusive RUN; beyond the grace MISSED."""
    assert due(RUN_AT, now, DEFAULT_GRACE) is expected


def test_due_with_no_grace() -> None:
    """With no grace only the exact moment runs; any later is missed."""
    assert due(RUN_AT, RUN_AT, 0.0) is Due.RUN
    assert due(RUN_AT, RUN_AT + 0.001, 0.0) is Due.MISSED


def test_due_values_are_their_names() -> None:
    """The states are stored as their lower-case names."""
    assert [d.value for d in Due] == ["wait", "run", "missed"]


# late_by


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (RUN_AT - 5, None),
        (RUN_AT, None),
        (RUN_AT + LATE_WORTH_SAYING - 0.001, None),
        (RUN_AT + LATE_WORTH_SAYING, LATE_WORTH_SAYING),
        (RUN_AT + 125, 125.0),
    ],
)
def test_late_by(now: float, expected: float | None) -> None:
    """A run under ten seconds late (or early) says nothing; from ten seconds on, how late."""
    assert late_by(RUN_AT, now) == expected


# reminders_due

PENDING = ((1, RUN_AT - HOUR), (2, RUN_AT - TEN_MIN))


def test_nothing_due_yet() -> None:
    """Before the first reminder's time nothing is posted or skipped."""
    assert reminders_due(PENDING, RUN_AT, RUN_AT - 2 * HOUR) == ReminderPlan(None, ())


def test_no_pending_reminders() -> None:
    """With no pending reminders there is nothing to post or skip, before or after the time."""
    assert reminders_due((), RUN_AT, RUN_AT - HOUR) == ReminderPlan(None, ())
    assert reminders_due((), RUN_AT, RUN_AT + 1) == ReminderPlan(None, ())


@pytest.mark.parametrize("now", [RUN_AT - HOUR, RUN_AT - 1800])
def test_one_due_reminder_is_posted(now: float) -> None:
    """At or after a reminder's time (and before the next's) that reminder is posted."""
    assert reminders_due(PENDING, RUN_AT, now) == ReminderPlan(1, ())


def test_newest_due_is_posted_older_skipped() -> None:
    """A late wake with both reminders due posts the newer one and skips the older."""
    assert reminders_due(PENDING, RUN_AT, RUN_AT - 60) == ReminderPlan(2, (1,))


def test_order_of_pending_does_not_matter() -> None:
    """The newest due reminder is found by its time, not by its place in the list."""
    pending = ((2, RUN_AT - TEN_MIN), (3, RUN_AT - 2 * HOUR), (1, RUN_AT - HOUR))
    assert reminders_due(pending, RUN_AT, RUN_AT - 60) == ReminderPlan(2, (3, 1))


def test_reminders_not_yet_due_are_left_alone() -> None:
    """A reminder still ahead is neither posted nor skipped."""
    pending = ((1, RUN_AT - 2 * HOUR), (2, RUN_AT - HOUR), (3, RUN_AT - TEN_MIN))
    assert reminders_due(pending, RUN_AT, RUN_AT - 1800) == ReminderPlan(2, (1,))


@pytest.mark.parametrize("now", [RUN_AT, RUN_AT + 1, RUN_AT + 86400])
def test_at_the_time_every_pending_reminder_is_skipped(now: float) -> None:
    """Once the time has come none is posted and every pending one, due or not, is skipped."""
    pending = ((1, RUN_AT - HOUR), (2, RUN_AT - TEN_MIN), (3, RUN_AT + 5))
    assert reminders_due(pending, RUN_AT, now) == ReminderPlan(None, (1, 2, 3))


# next_wake


def test_next_wake_is_the_earliest_reminder_ahead() -> None:
    """Before any reminder the next wake is the earliest reminder."""
    assert next_wake(PENDING, RUN_AT, RUN_AT - 2 * HOUR) == RUN_AT - HOUR


def test_next_wake_skips_reminders_at_or_before_now() -> None:
    """A reminder due now or earlier is this wake's business; the next wake is the one after."""
    assert next_wake(PENDING, RUN_AT, RUN_AT - HOUR) == RUN_AT - TEN_MIN
    assert next_wake(PENDING, RUN_AT, RUN_AT - 1800) == RUN_AT - TEN_MIN


def test_next_wake_is_the_time_once_reminders_are_behind() -> None:
    """With every reminder behind, or none pending, the next wake is the time itself."""
    assert next_wake(PENDING, RUN_AT, RUN_AT - 60) == RUN_AT
    assert next_wake((), RUN_AT, RUN_AT - 2 * HOUR) == RUN_AT


def test_next_wake_ignores_reminders_at_or_after_the_time() -> None:
    """A reminder not before the time never wakes the bot; the time does."""
    pending = ((1, RUN_AT), (2, RUN_AT + 60))
    assert next_wake(pending, RUN_AT, RUN_AT - HOUR) == RUN_AT


def test_next_wake_after_the_time_is_the_time() -> None:
    """Past the time the next wake is the time itself: wake at once."""
    assert next_wake(PENDING, RUN_AT, RUN_AT + 60) == RUN_AT


def test_a_planned_schedule_wakes_at_each_reminder_then_the_time() -> None:
    """Walking the wakes from the reminder plan visits each reminder once, then runs on time."""
    rules = Scheduling()
    now = RUN_AT - 2 * HOUR
    pending = [(i, at) for i, (_, at) in enumerate(rules.reminder_times(RUN_AT, now))]
    posted: list[int] = []
    while True:
        now = next_wake(pending, RUN_AT, now)
        plan = reminders_due(pending, RUN_AT, now)
        if plan.post is not None:
            posted.append(plan.post)
        done = {plan.post, *plan.skip}
        pending = [r for r in pending if r[0] not in done]
        if now >= RUN_AT:
            break
    assert posted == [0, 1]
    assert now == RUN_AT
    assert due(RUN_AT, now, rules.grace) is Due.RUN
    assert late_by(RUN_AT, now) is None
