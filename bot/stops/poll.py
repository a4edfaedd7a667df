"""Step 4: the scheduled poll of a submitted request's jobs, and its progress on the root.

A failing job query is counted and the next tick tries again (the thread hears once, after a few
in a row): polling never stops silently. Only what changed is written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.blocks.notices import cloud_error_message, job_lost_message
from bot.bms.errors import CloudError, CloudNotFound
from bot.core.lifecycle import ChunkState
from bot.core.results import results_from_job
from bot.slack.thread import RequestThread
from bot.stops.ports import Clock, StopCloud
from bot.stops.reach import show_state
from bot.store import ChunkRow, StopRecord
from bot.store.chunks import ChunkStore
from bot.store.requests import RequestStore

log = logging.getLogger(__name__)
WARN_AFTER_FAILED_POLLS = 3
LOST_AFTER_NOT_FOUND = 3  # "job not found" answers in a row before the job is given up on


@dataclass(frozen=True)
class Polls:
    cloud: StopCloud
    requests: RequestStore
    chunks: ChunkStore
    clock: Clock

    async def poll(self, thread: RequestThread, record: StopRecord) -> StopRecord | None:
        """Ask Huawei about every running job; the record as it now stands, or None if a chunk
        moved under this tick (the next tick reads it again)."""
        for chunk in record.in_state(ChunkState.SUBMITTED):
            try:
                polled = await self._poll_chunk(thread, record, chunk)
            except Exception:  # one broken job must not keep the others or the timeout from acting
                log.exception("job poll broke", extra={"job": chunk.job_id})
                continue
            if polled is None:
                return None
            record = record.with_chunk(polled)
        return record

    async def _poll_chunk(
        self, thread: RequestThread, record: StopRecord, chunk: ChunkRow
    ) -> ChunkRow | None:
        assert chunk.job_id is not None  # SUBMITTED chunks always have one
        try:
            job = await self.cloud.get_job(chunk.job_id)
        except CloudError as err:
            return await self._failed(thread, chunk, err)
        results = results_from_job(chunk.server_ids, job, record.request.names, chunk.job_id)
        now = self.clock()
        if job.is_terminal:
            ended = await self.chunks.ended(chunk, job.status, results, now)
            log.info("job ended", extra={"job": chunk.job_id, "status": job.status})
            return ended
        if results != chunk.results or job.status != chunk.job_status or chunk.poll_failures:
            return await self.chunks.record_poll(chunk, job.status, results, now)
        return chunk

    async def _failed(
        self, thread: RequestThread, chunk: ChunkRow, err: CloudError
    ) -> ChunkRow | None:
        """Count the failure; after a few "not found" in a row the job is lost, and after a few
        failures of any kind the thread hears once that the bot keeps trying."""
        assert chunk.job_id is not None
        missing = isinstance(err, CloudNotFound)
        now = self.clock()
        counted = await self.chunks.record_poll_failure(chunk, str(err), now, job_missing=missing)
        log.warning(
            "job poll failed", extra={"job": chunk.job_id, "failures": counted.poll_failures}
        )
        if counted.job_missing_polls >= LOST_AFTER_NOT_FOUND:
            lost = await self.chunks.lost(counted, now)
            if lost is not None:
                log.warning("job lost", extra={"job": chunk.job_id})
                await thread.say(job_lost_message(chunk.job_id, counted.job_missing_polls))
            return lost
        if counted.poll_failures == WARN_AFTER_FAILED_POLLS and not missing:
            doing = f"checking job `{chunk.job_id}` (I keep trying until the job timeout)"
            await thread.say(cloud_error_message(err, doing))
        return counted

    async def show_progress(self, thread: RequestThread, record: StopRecord) -> None:
        """Edit the root when more servers have settled than it shows (within the edit budget)."""
        done, _ = record.progress()
        if done != record.request.progress_done and await show_state(thread, record, "running"):
            await self.requests.record_progress(record.id, done, self.clock())
