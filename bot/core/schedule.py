"""The rules of a scheduled stop, as plain functions of numbers (UTC epoch seconds).

A schedule wakes the bot at its next moment (a reminder, or its time); what the bot does then
is decided here, from the row alone, so a wake that comes late (a restart, a lost timer, the
minute's sweep) decides exactly as one on time would:

* before the time: post the newest reminder that is due, skip older ones still pending (a bot
  that was away does not post three reminders at once);
* at the time, up to ``grace`` late: run (saying how late, once that is worth saying);
* later than that: missed; a person decides (Run now, Reschedule).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

DEFAULT_REMINDERS = (3600.0, 600.0)  # BMS_REMINDERS=60m,10m
DEFAULT_GRACE = 900.0  # BMS_SCHEDULE_GRACE=15m
LATE_WORTH_SAYING = 10.0  # a wake this late says so in the thread
RETRY_SECONDS = 30.0  # a due stop the bot could not check yet is tried again this soon
POSTPONE_STEP = 3600.0  # the Postpone button's "1 hour"


@dataclass(frozen=True, slots=True)
class Scheduling:
    """The configured rules: reminder offsets before the time, the grace, the horizon."""

    reminders: tuple[float, ...] = DEFAULT_REMINDERS
    grace: float = DEFAULT_GRACE
    horizon_days: int = 90

    def reminder_times(self, run_at: float, now: float) -> list[tuple[float, float]]:
        """(offset, due time) of each reminder still ahead of ``now``, earliest first; offsets
        already past (or at) ``now`` are skipped."""
        due = {(o, run_at - o) for o in self.reminders if run_at - o > now}
        return sorted(due, key=lambda pair: pair[1])


class Due(StrEnum):
    WAIT = "wait"  # the time is ahead
    RUN = "run"  # the time came, within the grace
    MISSED = "missed"  # the time passed beyond the grace


def due(run_at: float, now: float, grace: float) -> Due:
    if now < run_at:
        return Due.WAIT
    return Due.RUN if now - run_at <= grace else Due.MISSED


def late_by(run_at: float, now: float) -> float | None:
    """How late a run is, when it is late enough to tell the thread; else None."""
    late = now - run_at
    return late if late >= LATE_WORTH_SAYING else None


@dataclass(frozen=True, slots=True)
class ReminderPlan:
    """At a wake: the reminder to post (its id), and those to skip."""

    post: int | None
    skip: tuple[int, ...]


def reminders_due(pending: Sequence[tuple[int, float]], run_at: float, now: float) -> ReminderPlan:
    """Of the pending reminders (id, due time), the newest due one is posted and the older due
    ones skipped; once the time itself has come, every pending one is skipped (the run speaks)."""
    ready = sorted((r for r in pending if r[1] <= now), key=lambda r: r[1])
    if now >= run_at:
        return ReminderPlan(None, tuple(rid for rid, _ in pending))
    if not ready:
        return ReminderPlan(None, ())
    return ReminderPlan(ready[-1][0], tuple(rid for rid, _ in ready[:-1]))


def next_wake(pending: Sequence[tuple[int, float]], run_at: float, now: float) -> float:
    """When to wake next: the earliest reminder still ahead, else the time itself."""
    ahead = [at for _, at in pending if now < at < run_at]
    return min([*ahead, run_at])
