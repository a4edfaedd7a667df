"""The public thread root (who stops what, progress, outcome) and the jobs-submitted reply."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import zip_longest

from bot.blocks.message import Block, Message, build, context, fit_lines, section
from bot.blocks.preview import reason_line
from bot.blocks.text import code, duration, plural, progress_bar, slack_date, user_mention
from bot.core.models import RequestSummary, RootState
from bot.core.schedule import LATE_WORTH_SAYING
from bot.ids import BlockId, MetadataEvent

MAX_JOB_ROWS = 12
_UNDER_WAY: frozenset[RootState] = frozenset({"submitting", "running"})


def _state_line(state: RootState, s: RequestSummary, done: int, failed: int) -> str:
    stopped = done - failed
    lines: dict[RootState, str] = {
        "submitting": "⏳ Sending the stop to Huawei Cloud…",
        "running": "⏳ Stopping…",
        "done": f"✅ Done: all {plural(s.total, 'server')} stopped.",
        "partial": f"⚠️ Finished: {stopped:,} stopped, {failed:,} failed. Details in the thread.",
        "failed": "❌ Failed: no server was stopped. Details in the thread.",
        "timed_out": "⏱️ Still running when I stopped watching. Details in the thread.",
        "uncertain": "❓ Some stops may or may not have been accepted. Details in the thread.",
    }
    return lines[state]


def _who_line(s: RequestSummary) -> str:
    kind = "SOFT requested, performed as HARD" if s.soft else "HARD"
    who = f"{user_mention(s.user_id)} is stopping *{plural(s.total, 'server')}* ({kind})."
    if s.approved_by:
        who += f" Approved by {user_mention(s.approved_by)}."
    if s.break_glass:
        who += " 🚨 *Break glass*: stopped without waiting for an approval."
    return f"{who}\n{reason_line(s.reason)}{_schedule_line(s)}"


def _schedule_line(s: RequestSummary) -> str:
    """A scheduled stop says when it was due, and how late it started if it did."""
    if s.run_at is None:
        return ""
    line = f"\n🗓️ Scheduled for {slack_date(datetime.fromtimestamp(s.run_at, UTC))}"
    if s.late_by is not None and s.late_by >= LATE_WORTH_SAYING:
        line += f"; started {duration(s.late_by)} late (the bot was not running at the time)"
    return line


def root_message(s: RequestSummary, done: int, failed: int, state: RootState) -> Message:
    """The public message the thread hangs from, edited as the stop progresses.

    ``done`` counts servers whose stop has settled (stopped or failed); ``failed`` is the part of
    them that failed.
    """
    settled = max(0, min(done, s.total))
    progress = f"`{progress_bar(settled, s.total)}` {settled:,}/{s.total:,} done" + (
        f" · {failed:,} failed" if failed else ""
    )
    blocks: list[Block] = [
        section(_who_line(s)),
        section(
            f"{_state_line(state, s, done, failed)}\n{progress}", block_id=BlockId.ROOT_PROGRESS
        ),
        context(*_root_context(s)),
    ]
    # The fallback (notifications, screen readers) says the same outcome as the blocks.
    outcome = _state_line(state, s, done, failed)
    if state in _UNDER_WAY:
        outcome += f" {settled:,}/{s.total:,} done"
    text = f"{user_mention(s.user_id)} is stopping {plural(s.total, 'server')}: {outcome}"
    # The metadata finds this root again if Slack took it without answering.
    metadata = {
        "event_type": MetadataEvent.ROOT.value,
        "event_payload": {"request_id": s.request_id},
    }
    return build(text, blocks, metadata=metadata)


def _root_context(s: RequestSummary) -> list[str]:
    jobs = ", ".join(code(j) for j in s.job_ids[:3])
    more = f" and {len(s.job_ids) - 3} more" if len(s.job_ids) > 3 else ""
    items = [f"Request {code(s.request_id)}"]
    if jobs:
        items.append(f"Huawei {'job' if len(s.job_ids) == 1 else 'jobs'} {jobs}{more}")
    return items


def stop_queued_message(servers: int, goes_at: float, wait: float) -> Message:
    """Thread reply: this stop call waits its turn under Huawei's stop-call limit."""
    when = slack_date(datetime.fromtimestamp(goes_at, UTC))
    text = (
        f"⏳ Queued: the stop of {plural(servers, 'server')} goes out at {when}, in about "
        f"{duration(round(wait))}. Huawei Cloud takes a limited number of stop calls a minute, "
        "and other stops are ahead of this one. Nothing to do: it is not refused, only paced."
    )
    return build(text, [section(text)])


def jobs_submitted_message(job_ids: Sequence[str], chunks: Sequence[int]) -> Message:
    """Thread reply: the Huawei job(s) the stop became, and how many servers each covers."""
    rows = [
        f"• {code(job) if job else '(no job id)'}: {plural(count or 0, 'server')}"
        for job, count in zip_longest(job_ids, chunks)
    ]
    title = f"*Huawei Cloud accepted the stop as {plural(len(rows), 'job')}:*"
    shown, hidden = fit_lines([title, *rows], budget=8_000, max_lines=MAX_JOB_ROWS + 1)
    example = code(job_ids[0]) if job_ids else code("<job-id>")
    notes = [f"…and {hidden:,} more"] if hidden else []
    notes.append(f"Check a job any time with `/bms status` {example}")
    text = f"Huawei Cloud accepted the stop as {plural(len(rows), 'job')}."
    return build(text, [*shown, context(*notes)])
