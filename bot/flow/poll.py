"""Step 4: the scheduled poll of a submitted request.

Each tick reads the rows, asks Huawei about every running job, stores what it saw, edits the
progress in place, and hands over to the report when every job has ended. A failing tick is
logged and the next one tries again: polling never stops silently.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

from bot.blocks.notices import cloud_error_message, timeout_message
from bot.bms.errors import CloudError
from bot.core.lifecycle import CHUNK_SETTLED, ChunkState, RequestState
from bot.core.results import verdicts_from_job
from bot.deps import Deps
from bot.flow.report import finish, post_report
from bot.flow.root import edit_root
from bot.flow.submit import say_in_thread
from bot.flow.summary import progress_of
from bot.logs import request_id_var
from bot.store.rows import ChunkRow, RequestRow

log = logging.getLogger(__name__)
WARN_AFTER_FAILED_POLLS = 3


async def poll_request(deps: Deps, request_id: str) -> None:
    """The APScheduler job: never raises, so the schedule survives any single failure."""
    token = request_id_var.set(request_id)
    try:
        await _tick(deps, request_id)
    except asyncio.CancelledError:
        # Shutdown cancels running jobs; the rows say where we were, so the next start resumes.
        # Nothing awaits this task, so ending it quietly is the whole of cancelling it.
        log.info("poll interrupted by shutdown; it resumes at the next start")
    except Exception:
        log.exception("poll tick failed; retrying next tick", extra={"ref": secrets.token_hex(4)})
    finally:
        request_id_var.reset(token)


async def _tick(deps: Deps, request_id: str) -> None:
    req = await deps.store.get_request(request_id)
    if req is None or req.state not in (RequestState.SUBMITTED, RequestState.REPORTING):
        deps.watcher.unwatch(request_id)
        return
    if req.state is RequestState.SUBMITTED:
        for chunk in await deps.store.chunks(request_id):
            if chunk.state is ChunkState.SUBMITTED:
                try:
                    await _poll_chunk(deps, req, chunk)
                except Exception:  # one broken job must not keep the timeout below from acting
                    log.exception("job poll broke", extra={"job": chunk.job_id})
        chunk_rows = await deps.store.chunks(request_id)
        now = deps.now()
        if not all(c.state in CHUNK_SETTLED for c in chunk_rows):
            if now - (req.submitted_at or now) > deps.settings.bms_job_timeout:
                await _time_out(deps, req, chunk_rows)
            else:
                await _show_progress(deps, req, chunk_rows)
            return
        await deps.store.move(request_id, RequestState.REPORTING, now, finished_at=now)
    await finish(deps, request_id)


async def _poll_chunk(deps: Deps, req: RequestRow, chunk: ChunkRow) -> None:
    assert chunk.job_id is not None  # SUBMITTED chunks always have one
    try:
        job = await deps.bms.get_job(chunk.job_id)
    except CloudError as err:
        failures = await deps.store.record_poll_failure(chunk.id, deps.now(), str(err))
        log.warning("job poll failed", extra={"job": chunk.job_id, "failures": failures})
        if failures == WARN_AFTER_FAILED_POLLS:
            doing = f"checking job `{chunk.job_id}` (I keep trying until the job timeout)"
            await say_in_thread(
                deps, req, cloud_error_message(err, doing, simulated=deps.simulated)
            )
        return
    verdicts = verdicts_from_job(chunk.server_ids, job)
    now = deps.now()
    if job.is_terminal:
        await deps.store.move_chunk(
            chunk.id, ChunkState.ENDED, now, verdicts, job_status=job.status, polled_at=now
        )
        log.info("job ended", extra={"job": chunk.job_id, "status": job.status})
    elif verdicts != chunk.verdicts or job.status != chunk.job_status or chunk.poll_failures:
        await deps.store.record_poll(chunk.id, now, job.status, verdicts)  # only what changed


async def _show_progress(deps: Deps, req: RequestRow, chunk_rows: list[ChunkRow]) -> None:
    done, _ = progress_of(chunk_rows)
    if done != req.progress_done and await edit_root(deps, req, chunk_rows, "running"):
        await deps.store.set_request_fields(req.id, deps.now(), progress_done=done)


async def _time_out(deps: Deps, req: RequestRow, chunk_rows: list[ChunkRow]) -> None:
    """Stop watching: say which jobs still run and how to check them, and report what is known."""
    if not await deps.store.move(req.id, RequestState.TIMED_OUT, deps.now()):
        return
    deps.watcher.unwatch(req.id)
    running = [c.job_id for c in chunk_rows if c.state is ChunkState.SUBMITTED and c.job_id]
    minutes = round(deps.settings.bms_job_timeout / 60)
    log.warning("request timed out", extra={"jobs": running})
    await say_in_thread(deps, req, timeout_message(running, minutes, simulated=deps.simulated))
    # Best effort, once: polling has stopped, so a part that fails now is not tried again.
    await post_report(deps, req, chunk_rows)
    await edit_root(deps, req, chunk_rows, "timed_out", final=True)
