"""Scheduled stops in the channel: the announcement (the thread root until the stop runs), the
reminders, the start, a miss with its buttons, the list, and the postpone modal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.blocks.message import (
    Block,
    Message,
    actions,
    build,
    button,
    confirm_dialog,
    context,
    fit_lines,
    header,
    notice,
    section,
)
from bot.blocks.preview import reason_line, skipped_row
from bot.blocks.problems import problem_line
from bot.blocks.text import code, duration, escape, inline, plural, slack_date, user_mention
from bot.core.models import ScheduleSummary, Skipped
from bot.core.problems import Problem
from bot.ids import ActionId, BlockId, CallbackId, MetadataEvent

MAX_NAMES = 15
_STATE_LINES = {
    "scheduled": "🗓️ *Scheduled*",
    "postponed": "🗓️ *Postponed*",
    "cancelled": "🚫 *Cancelled*: nothing will be stopped.",
    "missed": "⚠️ *Missed*: it could not run at its time, so nothing was stopped.",
}


def when(at: float) -> str:
    """An instant every reader sees in their own time zone."""
    return slack_date(datetime.fromtimestamp(at, UTC))


def how_far(at: float, now: float) -> str:
    """``in 3 hours 20 minutes``, to the minute (seconds only under a minute)."""
    left = max(0.0, at - now)
    return f"in {duration(round(left) if left < 60 else round(left / 60) * 60)}"


def when_line(at: float, now: float, tz: str | None) -> str:
    """The time of a scheduled stop in the preview: the date token, how far, and its zone."""
    zone = f" (times without a zone are read in {inline(tz or 'UTC', 40)})"
    return f"🗓️ *When:* {when(at)}, {how_far(at, now)}{zone}"


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(inline(n, 60) for n in names[:MAX_NAMES])
    more = f" and {len(names) - MAX_NAMES:,} more" if len(names) > MAX_NAMES else ""
    return f"Servers: {shown}{more}"


def _state_line(s: ScheduleSummary) -> str:
    line = _STATE_LINES.get(s.state, f"*{s.state}*")
    if s.state in ("scheduled", "postponed"):
        line += f": stops at {when(s.run_at)}"
        if s.state == "postponed" and s.changed_by:
            line += f" (postponed by {user_mention(s.changed_by)}, was {when(s.first_run_at)})"
    elif s.state == "cancelled" and s.changed_by:
        line += f" Cancelled by {user_mention(s.changed_by)}"
        line += f" at {when(s.changed_at)}." if s.changed_at else "."
    elif s.state == "missed":
        line += f" It was due at {when(s.run_at)}."
    return line


def announcement_message(s: ScheduleSummary, who_may: str) -> Message:
    """The public announcement of a scheduled stop; buttons while it waits. ``who_may``
    names who may cancel or postpone it (mentions)."""
    kind = "SOFT requested, performed as HARD" if s.soft else "HARD"
    who = f"{user_mention(s.user_id)} scheduled a stop of *{plural(s.total, 'server')}* ({kind})."
    if s.approved_by:
        who += f" Approved by {user_mention(s.approved_by)}."
    blocks: list[Block] = [
        header(f"Scheduled stop of {plural(s.total, 'server')}"),
        section(f"{who}\n{reason_line(s.reason)}\n{_names(s.names)}"),
        section(_state_line(s), block_id=BlockId.ROOT_PROGRESS),
    ]
    if s.state in ("scheduled", "postponed"):
        blocks.append(_buttons(s))
        blocks.append(context(f"Request {code(s.request_id)}", f"Cancel or postpone: {who_may}"))
    else:
        blocks.append(context(f"Request {code(s.request_id)}"))
    text = f"Scheduled stop of {plural(s.total, 'server')} by {user_mention(s.user_id)}: {s.state}"
    metadata = {
        "event_type": MetadataEvent.ROOT.value,
        "event_payload": {"request_id": s.request_id},
    }
    return build(text, blocks, metadata=metadata)


def schedule_value(request_id: str, run_at: float) -> str:
    """What a Postpone button carries: the request and the time it postpones from, so a click
    on an announcement that has moved meanwhile is told so instead of moving it twice."""
    return f"{request_id}|{int(run_at)}"


def read_schedule_value(value: str) -> tuple[str, float | None]:
    """``schedule_value`` read back: (request id, the time it was shown with, if any)."""
    request_id, _, seen = value.partition("|")
    return request_id, float(seen) if seen.isdigit() else None


def _buttons(s: ScheduleSummary) -> Block:
    dialog = confirm_dialog(
        "Cancel the scheduled stop?",
        f"Nothing will be stopped; the thread says you cancelled it ({plural(s.total, 'server')}).",
        "Cancel the stop",
        "Keep it",
    )
    return actions(
        BlockId.SCHEDULE_ACTIONS,
        button("Cancel", ActionId.SCHEDULE_CANCEL, s.request_id, style="danger", confirm=dialog),
        button("Postpone 1 hour", ActionId.POSTPONE_HOUR, schedule_value(s.request_id, s.run_at)),
        button("Postpone to…", ActionId.POSTPONE_PICK, schedule_value(s.request_id, s.run_at)),
    )


def time_refused_message(problem: Problem) -> Message:
    """A time that cannot be used (past, too far, a DST gap or overlap): what would work."""
    return notice(f"Nothing was scheduled: {problem_line(problem)}.")


def scheduled_message(request_id: str, channel_id: str, at: float) -> Message:
    """Replaces the requester's preview: the stop is announced in the channel."""
    return notice(
        f"🗓️ Scheduled for {when(at)} and announced in <#{channel_id}>: "
        f"the announcement has Cancel and Postpone. Request {code(request_id)}."
    )


def reminder_message(s: ScheduleSummary, now: float) -> Message:
    text = (
        f"⏰ {user_mention(s.user_id)}: the stop of {plural(s.total, 'server')} runs "
        f"{how_far(s.run_at, now)} ({when(s.run_at)}). Cancel or postpone it on the announcement."
    )
    metadata = {
        "event_type": MetadataEvent.REMINDER.value,
        "event_payload": {"request_id": s.request_id},
    }
    return build(text, [section(text)], metadata=metadata)


BOT_AWAY = "the bot was not running at the time"


def starting_message(
    count: int, late: float | None, changed: Sequence[Skipped], why_late: str | None = None
) -> Message:
    """The thread hears the stop start: how late (if it is) and why, and what changed since.
    ``why_late``: what kept it from starting on time (None: the bot was not running)."""
    text = f"▶️ Starting the scheduled stop of {plural(count, 'server')} now."
    if late is not None:
        text += f" It runs *{duration(late)} late*: {escape(why_late or BOT_AWAY)}."
    lines = [section(text)]
    if changed:
        title = f"*Left out: {plural(len(changed), 'server')} changed since the announcement*"
        rows, hidden = fit_lines([title, *(skipped_row(c) for c in changed)], 2_500, 16)
        lines += rows + ([context(f"…and {hidden:,} more")] if hidden else [])
    return build(text, lines)


def nothing_left_scheduled_message(changed: Sequence[Skipped], taken: int) -> Message:
    why = f"{plural(len(changed), 'server')} already stopped or gone" if changed else ""
    if taken:
        why += (
            " and " if why else ""
        ) + f"{plural(taken, 'server')} being stopped by another request"
    return notice(f"🚫 The scheduled stop did not run: nothing is left to stop ({why}).")


def missed_message(s: ScheduleSummary) -> Message:
    """In the thread, to the requester: what was missed, and the two ways on."""
    late = duration(s.late_by or 0)
    why = escape(s.late_reason or BOT_AWAY)
    text = (
        f"⚠️ {user_mention(s.user_id)}: the stop due at {when(s.run_at)} was *missed*: {why}, "
        f"and {late} is more than it may run late. Nothing was stopped. "
        "Run it now, or pick a new time."
    )
    buttons = actions(
        BlockId.MISSED_ACTIONS,
        button(
            f"Run now ({plural(s.total, 'server')})",
            ActionId.RUN_NOW,
            s.request_id,
            style="danger",
            confirm=confirm_dialog(
                "Stop them now?",
                f"This stops {plural(s.total, 'server')} now: a forced (HARD) stop.",
                "Stop them",
                "Not now",
            ),
        ),
        button("Reschedule…", ActionId.RESCHEDULE, schedule_value(s.request_id, s.run_at)),
    )
    return build(text, [section(text), buttons])


def postponed_reply(by: str, was: float, to: float) -> Message:
    return notice(f"🗓️ {user_mention(by)} postponed the stop from {when(was)} to {when(to)}.")


def rescheduled_reply(by: str, to: float) -> Message:
    return notice(f"🗓️ {user_mention(by)} rescheduled the missed stop for {when(to)}.")


def cancelled_reply(by: str, at: float) -> Message:
    return notice(
        f"🚫 {user_mention(by)} cancelled the scheduled stop at {when(at)}. Nothing stopped."
    )


def run_now_reply(by: str) -> Message:
    return notice(f"▶️ {user_mention(by)} chose to run the missed stop now.")


def not_allowed_message(who_may: str) -> Message:
    return notice(f"Only {who_may} can change this scheduled stop.")


_STATE_WORDS = {
    "previewed": "This stop is not scheduled yet: use Schedule or Cancel on your preview.",
    "awaiting_approval": (
        "This stop waits for an approval and is not scheduled yet: the requester can Withdraw "
        "it on the approval request."
    ),
    "approved": "This stop was just approved and is being scheduled; try again in a moment.",
    "cancelled": "This scheduled stop was cancelled already.",
    "missed": "This scheduled stop was missed: use Run now or Reschedule in its thread.",
    "scheduled": "This stop is not missed: it is still scheduled.",
    "postponed": "This stop is not missed: it is still scheduled.",
    "expired": "This request expired before it was scheduled.",
    "rejected": "This request was rejected; it was never scheduled.",
    "approval_expired": "This request's approval expired; it was never scheduled.",
}
STARTED = "This scheduled stop has started already; follow its thread."


def schedule_closed_message(state: str | None, *, scheduled: bool = True) -> Message:
    """A button or command for a schedule that cannot take it in its state (``scheduled``
    False: the request is not a scheduled stop at all)."""
    if state is None:
        return notice("There is no such scheduled stop. `/bms schedule` lists this channel's.")
    if not scheduled:
        return notice("That request is not a scheduled stop; there is nothing to cancel there.")
    return notice(_STATE_WORDS.get(state, STARTED))


def starting_now_message() -> Message:
    return notice(
        "The time of this stop has come: it is starting (or being tried again), so it can no "
        "longer be postponed."
    )


def still_announcing_message() -> Message:
    return notice(
        "This scheduled stop's announcement is still being posted; try again in a few seconds."
    )


def moved_meanwhile_message() -> Message:
    return notice("The schedule changed while you were choosing; look at the announcement again.")


def schedule_list_message(rows: Sequence[ScheduleSummary], now: float) -> Message:
    """``/bms schedule``: this channel's upcoming shutdowns."""
    if not rows:
        return notice(
            "No scheduled stops in this channel. Schedule one with `/bms stop <ids> at 22:00`."
        )
    lines = [
        f"• {code(s.request_id)} {when(s.run_at)} ({how_far(s.run_at, now)}) · "
        f"{plural(s.total, 'server')} · {user_mention(s.user_id)} · {s.state}"
        for s in rows
    ]
    title = f"*Scheduled stops in this channel ({len(rows)})*"
    shown, hidden = fit_lines([title, *lines], 9_000, 40)
    tail = [context(f"…and {hidden:,} more")] if hidden else []
    note = context("`/bms cancel <id>` · `/bms postpone <id> <time | duration>`")
    text = f"{plural(len(rows), 'scheduled stop')} in this channel"
    return build(text, [*shown, *tail, note])


def postpone_view(request_id: str, run_at: float, *, missed: bool) -> dict[str, Any]:
    """The modal for a time of one's own (Postpone to…, or Reschedule after a miss)."""
    title = "Reschedule the stop" if missed else "Postpone the stop"
    hint = "A time (`fri 22:00`, `tomorrow 07:30`, `2026-12-24 18:00`)"
    hint += "" if missed else " or how much later (`2h`, `1d`)"
    return {
        "type": "modal",
        "callback_id": CallbackId.POSTPONE.value,
        "private_metadata": schedule_value(request_id, run_at) + ("|missed" if missed else ""),
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Reschedule" if missed else "Postpone"},
        "close": {"type": "plain_text", "text": "Back"},
        "blocks": [
            {
                "type": "input",
                "block_id": BlockId.POSTPONE_TIME.value,
                "label": {"type": "plain_text", "text": "New time, in your Slack time zone"},
                "hint": {"type": "plain_text", "text": hint.replace("`", "")},
                "element": {
                    "type": "plain_text_input",
                    "action_id": CallbackId.POSTPONE.value,
                    "max_length": 60,
                    "placeholder": {"type": "plain_text", "text": "tomorrow 22:00"},
                },
            }
        ],
    }
