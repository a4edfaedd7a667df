"""A stop record's derived views: summary, progress and outcome across its chunks."""

from __future__ import annotations

import dataclasses

from bot.core.lifecycle import ChunkState, RequestState
from bot.core.models import Outcome, ServerResult, Target
from bot.store import ChunkRow, RequestRow, StopRecord

REQUEST = RequestRow(
    id="req_1",
    team_id="T1",
    channel_id="C1",
    user_id="U1",
    origin="command",
    thread_ts=None,
    response_url=None,
    soft=True,
    reason="disk",
    targets=(Target("a", "web-a", "ACTIVE"), Target("b", "web-b", "ACTIVE")),
    skipped=(),
    state=RequestState.SUBMITTED,
    created_at=0,
    expires_at=600,
    confirmed_at=1,
    root_ts="1.1",
    submitted_at=2,
    finished_at=None,
    progress_done=0,
    report_parts_posted=0,
)


def chunk(no: int, state: ChunkState, *results: ServerResult, job: str | None = None) -> ChunkRow:
    return ChunkRow(
        no, "req_1", no, tuple(r.server_id for r in results), state, job, None,
        {r.server_id: r for r in results}, None, None, 0, 0.0,
    )  # fmt: skip


def test_views_across_chunks() -> None:
    """Summary, progress and outcome count every chunk's servers once."""
    record = StopRecord(
        REQUEST,
        (
            chunk(1, ChunkState.ENDED, ServerResult("a", "web-a", Outcome.STOPPED), job="j1"),
            chunk(2, ChunkState.REJECTED, ServerResult("b", "web-b", Outcome.FAILED)),
        ),
    )
    assert record.summary().job_ids == ("j1",)
    assert record.summary().total == 2
    assert record.progress() == (2, 1)
    assert record.outcome() == "partial"
    assert [c.chunk_no for c in record.in_state(ChunkState.REJECTED)] == [2]


def test_an_uncertain_call_makes_the_outcome_uncertain() -> None:
    """Any uncertain chunk makes the whole outcome uncertain."""
    record = StopRecord(
        REQUEST, (chunk(1, ChunkState.UNCERTAIN, ServerResult("a", "", Outcome.UNKNOWN)),)
    )
    assert record.outcome() == "uncertain"


def test_with_chunk_replaces_only_that_chunk() -> None:
    """Updating one chunk of the snapshot leaves the others as they were."""
    one = chunk(1, ChunkState.PENDING)
    two = chunk(2, ChunkState.PENDING)
    record = StopRecord(REQUEST, (one, two))
    moved = record.with_chunk(dataclasses.replace(two, state=ChunkState.SUBMITTING))
    assert [c.state for c in moved.chunks] == [ChunkState.PENDING, ChunkState.SUBMITTING]
    assert record.chunks == (one, two)
