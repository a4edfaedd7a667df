"""Sending the batch-stop calls: each chunk is claimed by compare-and-set before its POST, so no
chunk is ever sent twice, and every failure is said in the thread."""

from __future__ import annotations

import logging

from bot.blocks.message import Message
from bot.blocks.notices import cloud_error_message, uncertain_submit_message
from bot.bms.errors import CloudError, CloudUnavailable
from bot.core.lifecycle import ChunkState
from bot.core.models import Outcome
from bot.core.results import uniform_verdicts
from bot.deps import Deps
from bot.slack.poster import SlackFailure
from bot.store.rows import ChunkRow, RequestRow

log = logging.getLogger(__name__)


async def submit_chunk(deps: Deps, req: RequestRow, chunk: ChunkRow) -> None:
    now = deps.now()
    if not await deps.store.move_chunk(chunk.id, ChunkState.SUBMITTING, now):
        return  # another sender has it
    try:
        job_id = await deps.bms.stop_servers(list(chunk.server_ids), soft=req.soft)
    except CloudUnavailable as err:
        if err.maybe_sent:
            await mark_uncertain(deps, req, chunk, err)
        else:
            await reject(deps, req, chunk, err)
        return
    except CloudError as err:
        await reject(deps, req, chunk, err)
        return
    await deps.store.move_chunk(
        chunk.id, ChunkState.SUBMITTED, deps.now(), job_id=job_id, submitted_at=deps.now()
    )
    log.info("stop submitted", extra={"request": req.id, "chunk": chunk.chunk_no, "job": job_id})


async def reject(deps: Deps, req: RequestRow, chunk: ChunkRow, err: CloudError) -> None:
    """Huawei refused the call: nothing in this chunk was stopped."""
    verdicts = uniform_verdicts(chunk.server_ids, Outcome.FAILED, err.code, err.message)
    await deps.store.move_chunk(
        chunk.id,
        ChunkState.REJECTED,
        deps.now(),
        verdicts,
        error_code=err.code,
        error_message=err.message,
    )
    log.warning(
        "stop rejected", extra={"request": req.id, "chunk": chunk.chunk_no, "error": str(err)}
    )
    doing = f"stopping {len(chunk.server_ids)} servers"
    await say_in_thread(
        deps, req, cloud_error_message(err, doing, stopping=True, simulated=deps.simulated)
    )


async def mark_uncertain(deps: Deps, req: RequestRow, chunk: ChunkRow, err: CloudError) -> None:
    """No answer to the POST: it may have been accepted. Never resend blindly; tell the people."""
    verdicts = uniform_verdicts(chunk.server_ids, Outcome.UNKNOWN, err.code, err.message)
    moved = await deps.store.move_chunk(
        chunk.id,
        ChunkState.UNCERTAIN,
        deps.now(),
        verdicts,
        error_code=err.code,
        error_message=err.message,
    )
    if moved:
        log.warning("stop uncertain", extra={"request": req.id, "chunk": chunk.chunk_no})
        await say_in_thread(
            deps,
            req,
            uncertain_submit_message(len(chunk.server_ids), err, simulated=deps.simulated),
        )


async def say_in_thread(deps: Deps, req: RequestRow, message: Message) -> None:
    """Best effort: a thread reply that cannot be posted is logged, never raised into the flow."""
    if not req.thread_ts:
        log.error("no thread to post in", extra={"request": req.id})
        return
    try:
        await deps.poster.post(req.channel_id, message, thread_ts=req.thread_ts)
    except SlackFailure as exc:
        log.error("thread post failed", extra={"request": req.id, "error": exc.error})
