"""Chunks: claimed once, settled by compare-and-set, and every write hands back what it stored."""

from __future__ import annotations

import asyncio

from store_factories import IDS, NAMES, NOW, new_request

from bot.core.lifecycle import ChunkState
from bot.core.models import Outcome, ServerResult
from bot.store import ChunkRow, Store


async def confirmed_chunk(store: Store, groups: list[list[str]] | None = None) -> ChunkRow:
    await store.requests.add(new_request())
    record = await store.requests.confirm("req_1", "U1", NOW, groups or [IDS])
    assert record is not None
    return record.chunks[0]


async def stored(store: Store) -> ChunkRow:
    record = await store.load("req_1")
    assert record is not None
    return record.chunks[0]


async def test_chunk_claim_is_single(store: Store) -> None:
    """Concurrent claims of a pending chunk: one sender wins."""
    chunk = await confirmed_chunk(store, [IDS[:2], IDS[2:]])
    claims = await asyncio.gather(
        *(store.chunks.claim(chunk, NOW, owner="r1", lease=60) for _ in range(10))
    )
    assert sum(c is not None for c in claims) == 1


async def test_chunk_results_round_trip(store: Store) -> None:
    """Results stored with a chunk come back as they were, with names and the job id; each write
    returns exactly the snapshot a fresh read gives."""
    chunk = await confirmed_chunk(store)
    claimed = await store.chunks.claim(chunk, NOW, owner="r1", lease=60)
    assert claimed is not None
    accepted = await store.chunks.accepted(claimed, "job1", NOW)
    assert accepted is not None
    results = {IDS[0]: ServerResult(IDS[0], "web-0", Outcome.FAILED, "job1", "BMS.0039", "off")}
    ended = await store.chunks.ended(accepted, "FAIL", results, NOW)
    fresh = await stored(store)
    assert fresh.state is ChunkState.ENDED
    assert fresh.results == results
    assert ended == fresh
    assert await store.requests.names_for_job("job1") == NAMES


async def test_settled_chunk_keeps_the_error(store: Store) -> None:
    """A refused call is REJECTED with Huawei's code and every server failed."""
    chunk = await confirmed_chunk(store)
    results = {i: ServerResult(i, NAMES[i], Outcome.FAILED, None, "BMS.0004", "no") for i in IDS}
    settled = await store.chunks.settle(
        chunk, ChunkState.REJECTED, results, error_code="BMS.0004", error_message="no", now=NOW
    )
    fresh = await stored(store)
    assert settled == fresh
    assert fresh.state is ChunkState.REJECTED
    assert (fresh.error_code, fresh.results) == ("BMS.0004", results)


async def test_no_move_from_a_settled_chunk(store: Store) -> None:
    """An ended chunk can be neither claimed nor ended again."""
    chunk = await confirmed_chunk(store)
    claimed = await store.chunks.claim(chunk, NOW, owner="r1", lease=60)
    assert claimed is not None
    accepted = await store.chunks.accepted(claimed, "job1", NOW)
    assert accepted is not None
    assert await store.chunks.ended(accepted, "SUCCESS", {}, NOW) is not None
    assert await store.chunks.claim(accepted, NOW, owner="r1", lease=60) is None
    assert await store.chunks.ended(accepted, "SUCCESS", {}, NOW) is None


async def test_poll_failures_count_up(store: Store) -> None:
    """Failed polls are counted in a row, and a good poll resets the count."""
    chunk = await confirmed_chunk(store)
    assert (await store.chunks.record_poll_failure(chunk, "boom", NOW)).poll_failures == 1
    assert (await store.chunks.record_poll_failure(chunk, "boom", NOW)).poll_failures == 2
    claimed = await store.chunks.claim(chunk, NOW, owner="r1", lease=60)
    assert claimed is not None
    accepted = await store.chunks.accepted(claimed, "job1", NOW)
    assert accepted is not None
    polled = await store.chunks.record_poll(accepted, "RUNNING", {}, NOW)
    assert polled.poll_failures == 0
    assert (await stored(store)).poll_failures == 0


async def test_job_not_found_answers_are_counted_in_a_row(store: Store) -> None:
    """ "Job not found" answers count up in a row; any other failure ends the row."""
    chunk = await confirmed_chunk(store)
    first = await store.chunks.record_poll_failure(chunk, "404", NOW, job_missing=True)
    second = await store.chunks.record_poll_failure(chunk, "404", NOW, job_missing=True)
    assert (first.job_missing_polls, second.job_missing_polls) == (1, 2)
    other = await store.chunks.record_poll_failure(chunk, "500", NOW)
    assert (other.job_missing_polls, other.poll_failures) == (0, 3)
    assert (await stored(store)).job_missing_polls == 0


async def test_a_claim_records_when_the_call_went_out(store: Store) -> None:
    """The claim's time is kept: reconciling a lost answer waits from it."""
    chunk = await confirmed_chunk(store)
    claimed = await store.chunks.claim(chunk, NOW + 7, owner="r1", lease=60)
    assert claimed is not None
    assert claimed.sent_at == NOW + 7
    assert (await stored(store)).sent_at == NOW + 7
