"""Step 5: the per-server report, posted into the thread exactly once per part.

Each part is posted, then the stored count of posted parts is advanced by compare-and-set; a crash
between the two can repeat one part at most, never lose one. A Slack failure leaves the count
where it was and the next tick tries again.
"""

from __future__ import annotations

import logging

from bot.blocks.progress import root_message
from bot.blocks.results import result_messages
from bot.core.lifecycle import RequestState
from bot.deps import Deps
from bot.flow.summary import final_state, progress_of, results_of, summary_of
from bot.slack.poster import SlackFailure

log = logging.getLogger(__name__)


async def finish(deps: Deps, request_id: str) -> None:
    req = await deps.store.get_request(request_id)
    if req is None or req.state is not RequestState.REPORTING or not req.thread_ts:
        return
    chunk_rows = await deps.store.chunks(request_id)
    summary = summary_of(req, chunk_rows, deps.simulated)
    parts = result_messages(summary, results_of(req, chunk_rows))
    for index in range(req.report_parts_posted, len(parts)):
        try:
            await deps.poster.post(req.channel_id, parts[index], thread_ts=req.thread_ts)
        except SlackFailure as exc:
            log.error("report post failed; retrying next tick", extra={"error": exc.error})
            return
        if not await deps.store.advance_counter(
            request_id, "report_parts_posted", index, index + 1
        ):
            return  # someone else is posting this report
    if req.root_ts and deps.progress.allow(req.id, force=True):
        done, failed = progress_of(chunk_rows)
        message = root_message(summary, done, failed, final_state(chunk_rows))
        try:
            await deps.poster.update(req.channel_id, req.root_ts, message)
        except SlackFailure as exc:
            log.warning("final root update failed", extra={"error": exc.error})
    if await deps.store.move(request_id, RequestState.FINISHED, deps.now()):
        deps.watcher.unwatch(request_id)
        deps.progress.forget(request_id)
        log.info("request finished", extra={"outcome": final_state(chunk_rows)})
