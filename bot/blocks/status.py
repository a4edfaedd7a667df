"""``/bms status <job-id>``: one job's current state, like the report but in a single message.

Failures come first, grouped by explanation; then running and succeeded servers as far as the
message has room, then a count of the rest (the thread's final report lists every server).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.blocks.message import (
    MESSAGE_BUDGET,
    Block,
    Message,
    blocks_size,
    build,
    context,
    fit_lines,
    header,
    section,
)
from bot.blocks.results import failure_lines, row
from bot.blocks.text import code, inline, iso_date, plural
from bot.bms.models import Job
from bot.core.explain import explain
from bot.core.models import Outcome, ServerResult
from bot.core.results import sub_job_result

MAX_ROWS = 40
_RESERVE = 1_000
_STATES = {
    "SUCCESS": "succeeded",
    "FAIL": "failed",
    "RUNNING": "running",
    "INIT": "waiting to start",
    "PENDING_PAYMENT": "waiting for payment",
}


def _summary(job: Job, results: list[ServerResult]) -> str:
    count = {o: sum(1 for r in results if r.outcome is o) for o in Outcome}
    total = job.sub_jobs_total if job.sub_jobs_total is not None else len(results)
    times = [f"started {iso_date(job.begin_time)}"] if job.begin_time else []
    times += [f"ended {iso_date(job.end_time)}"] if job.end_time else []
    kind = f" · {code(job.job_type, 40)}" if job.job_type else ""
    return (
        f"Job {code(job.job_id)}{kind}{' · ' if times else ''}{' · '.join(times)}\n"
        f"✅ succeeded *{count[Outcome.STOPPED]:,}* · ❌ failed *{count[Outcome.FAILED]:,}*"
        f" · ⏳ in progress *{count[Outcome.PENDING]:,}* · of {plural(total, 'server')}"
    )


def _job_error(job: Job) -> Block | None:
    if not (job.error_code or job.fail_reason):
        return None
    error = code(job.error_code, 40) if job.error_code else ""
    reason = inline(job.fail_reason, 300, empty="")
    advice = explain(job.error_code)
    return section(f"*Job error:* {error} {reason}".rstrip() + (f"\n{advice}" if advice else ""))


def _lines(results: list[ServerResult]) -> list[str]:
    failed = [r for r in results if r.outcome is Outcome.FAILED]
    pending = [r for r in results if r.outcome is Outcome.PENDING]
    stopped = [r for r in results if r.outcome is Outcome.STOPPED]
    lines = failure_lines(failed)
    if pending:
        lines.append(f"*⏳ In progress: {plural(len(pending), 'server')}*")
        lines.extend(row(r) for r in pending)
    if stopped:
        lines.append(f"*✅ Succeeded: {plural(len(stopped), 'server')}*")
        lines.extend(row(r) for r in stopped)
    return lines


def status_message(job: Job, names: Mapping[str, str]) -> Message:
    """A job's state: counts, then per-server rows (failures first) as far as they fit."""
    state = _STATES.get(job.status, inline(job.status, 40).lower())
    results = [sub_job_result(sub, names) for sub in job.sub_jobs]
    head = [header(f"Stop job: {state}"), section(_summary(job, results))]
    error = _job_error(job)
    head += [error] if error else []
    room = MESSAGE_BUDGET - _RESERVE - blocks_size(head)
    shown, hidden = fit_lines(_lines(results), room, MAX_ROWS)
    notes = [f"…and {hidden:,} more lines: the final report in the thread lists every server"]
    tail = [context(*notes)] if hidden else []
    text = f"Job {inline(job.job_id, 64)}: {state}"
    return build(text, [*head, *shown, *tail])
