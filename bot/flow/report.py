"""Step 5: the per-server report, posted into the thread exactly once per part.

Each part is posted, then the stored count of posted parts is advanced by compare-and-set; a crash
between the two can repeat one part at most, never lose one. A passing Slack failure leaves the
count where it was and the next tick tries again, for up to the job timeout; a final one (or
one that lasts longer) is told to the requester privately, and the request finishes.
"""

from __future__ import annotations

import logging

from bot.blocks.notices import report_undeliverable_message
from bot.blocks.results import result_messages
from bot.core.lifecycle import RequestState
from bot.deps import Deps
from bot.flow.place import requester_of, tell_quietly
from bot.flow.root import edit_root
from bot.flow.summary import final_state, results_of, summary_of
from bot.slack.poster import SlackFailure
from bot.store.rows import ChunkRow, RequestRow

log = logging.getLogger(__name__)


async def post_report(deps: Deps, req: RequestRow, chunk_rows: list[ChunkRow]) -> bool:
    """Post the report parts not posted yet; False if a passing failure means "try again"."""
    summary = summary_of(req, chunk_rows, deps.simulated)
    parts = result_messages(summary, results_of(req, chunk_rows))
    for index in range(req.report_parts_posted, len(parts)):
        try:
            await deps.poster.post(req.channel_id, parts[index], thread_ts=req.thread_ts)
        except SlackFailure as exc:
            since = deps.now() - (req.finished_at or deps.now())
            if exc.transient and since < deps.settings.bms_job_timeout:
                log.error("report post failed; retrying next tick", extra={"error": exc.error})
                return False
            log.error("report cannot be posted; telling the requester", extra={"error": exc.error})
            notice = report_undeliverable_message(
                req.id, exc.error, summary.job_ids, simulated=deps.simulated
            )
            await tell_quietly(deps.poster, requester_of(req, deps.now()), notice)
            return True
        if not await deps.store.advance_counter(req.id, "report_parts_posted", index, index + 1):
            return False  # someone else is posting this report
    return True


async def finish(deps: Deps, request_id: str) -> None:
    req = await deps.store.get_request(request_id)
    if req is None or req.state is not RequestState.REPORTING or not req.thread_ts:
        return
    chunk_rows = await deps.store.chunks(request_id)
    if not await post_report(deps, req, chunk_rows):
        return
    outcome = final_state(chunk_rows)
    await edit_root(deps, req, chunk_rows, outcome, final=True)
    if await deps.store.move(request_id, RequestState.FINISHED, deps.now()):
        deps.watcher.unwatch(request_id)
        deps.progress.forget(request_id)
        log.info("request finished", extra={"outcome": outcome})
