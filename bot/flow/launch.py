"""Step 3: a confirmed request gets its public thread root, its stop calls, and a poll schedule.

``launch`` is idempotent: the click calls it, and start-up recovery calls it again for any request a
crash left CONFIRMED; each step checks the stored state before acting.
"""

from __future__ import annotations

import logging

from bot.blocks.notices import (
    not_in_channel_message,
    slack_refused_message,
    submitted_message,
)
from bot.blocks.progress import jobs_submitted_message, root_message
from bot.core.lifecycle import ChunkState, RequestState
from bot.deps import Deps
from bot.flow.place import Place, requester_of, tell, tell_quietly
from bot.flow.root import edit_root
from bot.flow.submit import say_in_thread, submit_chunk
from bot.flow.summary import summary_of
from bot.slack.poster import NotInChannel, SlackFailure
from bot.store.rows import RequestRow

log = logging.getLogger(__name__)


async def _ensure_root(deps: Deps, req: RequestRow, place: Place | None) -> RequestRow | None:
    """Post the public root message once; None if it could not be posted, and then nothing is sent.

    With a person clicking, or when Slack's answer is final, the request goes back to PREVIEWED
    (the same button works again) and the person is told why. During recovery a passing failure
    leaves it CONFIRMED for housekeeping to try again.
    """
    if req.root_ts:
        return req
    message = root_message(summary_of(req, [], deps.simulated), 0, 0, "submitting")
    try:
        ts = await deps.poster.post(req.channel_id, message, thread_ts=req.thread_ts)
    except SlackFailure as exc:
        log.warning("root post failed", extra={"request": req.id, "error": exc.error})
        if place is None and exc.transient:
            return None
        await deps.store.move(req.id, RequestState.PREVIEWED, deps.now())
        if isinstance(exc, NotInChannel):
            notice = not_in_channel_message(simulated=deps.simulated)
        else:
            notice = slack_refused_message(exc.error, simulated=deps.simulated)
        await tell_quietly(deps.poster, place or requester_of(req, deps.now()), notice)
        return None
    await deps.store.set_request_fields(
        req.id, deps.now(), root_ts=ts, thread_ts=req.thread_ts or ts
    )
    return await deps.store.get_request(req.id)


async def launch(deps: Deps, request_id: str, place: Place | None) -> None:
    req = await deps.store.get_request(request_id)
    if req is None or req.state is not RequestState.CONFIRMED:
        return
    fresh = await _ensure_root(deps, req, place)
    if fresh is None:
        return
    if place is not None:
        try:
            await tell(
                deps.poster,
                place,
                submitted_message(
                    fresh.id, fresh.channel_id, count=len(fresh.targets), simulated=deps.simulated
                ),
                replace=True,
            )
        except SlackFailure as exc:  # the thread still tells everything; don't stop for this
            log.warning("could not replace preview", extra={"error": exc.error})
    for chunk in await deps.store.chunks(fresh.id):
        if chunk.state is ChunkState.PENDING:
            await submit_chunk(deps, fresh, chunk)
    await _settle_submission(deps, fresh)


async def _settle_submission(deps: Deps, req: RequestRow) -> None:
    now = deps.now()
    chunk_rows = await deps.store.chunks(req.id)
    if any(c.state is ChunkState.SUBMITTING for c in chunk_rows):
        # Another sender holds a claim: stay CONFIRMED until it ends or recovery settles it.
        log.warning("a stop call is still being sent; leaving the request confirmed")
        return
    if not await deps.store.move(req.id, RequestState.SUBMITTED, now, submitted_at=now):
        return
    # Polling starts first, so no slow Slack call below can delay it. Nothing running (every
    # call refused or uncertain): report at once instead of after a poll interval.
    running = any(c.state is ChunkState.SUBMITTED for c in chunk_rows)
    deps.watcher.watch(req.id, first_in=None if running else 0)
    sent = [c for c in chunk_rows if c.job_id]
    if sent:
        message = jobs_submitted_message(
            [c.job_id for c in sent if c.job_id],
            [len(c.server_ids) for c in sent],
            simulated=deps.simulated,
        )
        await say_in_thread(deps, req, message)
    if running:
        await edit_root(deps, req, chunk_rows, "running")
