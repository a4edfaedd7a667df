"""The progress-edit gate that keeps chat.update within Tier 3."""

from __future__ import annotations

from bot.slack.edit_gate import ProgressGate
from tests.support.clock import ManualClock


def test_min_interval_per_request() -> None:
    """One request is edited at most once per interval; others are independent."""
    clock = ManualClock(0.0)
    gate = ProgressGate(min_interval=5, clock=clock)
    assert gate.allow("a")
    assert not gate.allow("a")
    assert gate.allow("b")
    clock.now = 5
    assert gate.allow("a")


def test_workspace_budget_per_minute() -> None:
    """No more than the per-minute budget across all requests; it refills as the minute passes."""
    clock = ManualClock(0.0)
    gate = ProgressGate(min_interval=0, per_minute=3, clock=clock)
    assert [gate.allow(str(i)) for i in range(4)] == [True, True, True, False]
    clock.now = 60
    assert gate.allow("x")


def test_hold_after_429() -> None:
    """After Slack's 429, no skippable edit goes out until Retry-After has passed."""
    clock = ManualClock(0.0)
    gate = ProgressGate(min_interval=0, clock=clock)
    gate.hold(30)
    assert not gate.allow("a")
    clock.now = 30
    assert gate.allow("a")


def test_forced_edits_always_go_but_count() -> None:
    """A final edit is never refused, and it uses up budget like any other."""
    clock = ManualClock(0.0)
    gate = ProgressGate(min_interval=10, per_minute=1, clock=clock)
    gate.hold(100)
    assert gate.allow("a", force=True)
    clock.now = 200
    assert gate.allow("b")
    assert not gate.allow("c")


def test_final_edits_over_the_minute_wait_for_room() -> None:
    """With the minute full, a final edit's slot is when the oldest edit leaves the window, and
    the next one after that; none is refused."""
    clock = ManualClock(0.0)
    gate = ProgressGate(min_interval=0, per_minute=2, clock=clock)
    assert gate.allow("a")
    clock.now = 10
    assert gate.final_turn("b") == 0
    assert gate.final_turn("c") == 50  # at 60, when the edit at 0 leaves the minute
    assert gate.final_turn("d") == 60  # at 70, when the one at 10 does
    assert not gate.allow("e")  # the slots promised count against progress edits too


def test_a_final_edit_waits_out_a_hold() -> None:
    """After a 429 held edits back, a final edit's slot comes when the hold ends."""
    clock = ManualClock(0.0)
    gate = ProgressGate(min_interval=0, per_minute=10, clock=clock)
    gate.hold(5)
    assert gate.final_turn("a") == 5
