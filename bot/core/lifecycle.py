"""The life cycle of a stop request and of each submitted chunk: states and the allowed moves.

    PREVIEWED ──confirm──▶ CONFIRMED ──submit──▶ SUBMITTED ──jobs ended──▶ REPORTING ─▶ FINISHED
        │                    │                      │
        ├─cancel─▶ CANCELLED └─root refused─▶ PREVIEWED (click again, e.g. after inviting the bot)
        └─ttl────▶ EXPIRED                          └─job timeout──▶ TIMED_OUT

``TRANSITIONS`` is the one table of allowed moves. Every move is a compare-and-set in the store
whose WHERE clause is ``sources_of(target)``: a row changes only if it is still in a state the move
allows, so double clicks, concurrent replicas and restarts cannot apply a move twice. A new state
is a new row here and one new step in ``bot/stops/``.
"""

from __future__ import annotations

from enum import StrEnum

from bot.bms.models import MAX_STOP_BATCH


class RequestState(StrEnum):
    PREVIEWED = "previewed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    CONFIRMED = "confirmed"
    SUBMITTED = "submitted"
    REPORTING = "reporting"
    FINISHED = "finished"
    TIMED_OUT = "timed_out"


class ChunkState(StrEnum):
    """One batch-stop call of at most ``MAX_STOP_BATCH`` servers."""

    PENDING = "pending"  # not sent; safe to send
    SUBMITTING = "submitting"  # claimed by a sender; may or may not have reached Huawei
    SUBMITTED = "submitted"  # Huawei returned a job id; being polled
    ENDED = "ended"  # the job reached SUCCESS or FAIL
    REJECTED = "rejected"  # Huawei refused the call: nothing was stopped
    UNCERTAIN = "uncertain"  # no answer: the stop may or may not have been accepted


TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    RequestState.PREVIEWED: frozenset(
        {RequestState.CONFIRMED, RequestState.CANCELLED, RequestState.EXPIRED}
    ),
    RequestState.CONFIRMED: frozenset({RequestState.SUBMITTED, RequestState.PREVIEWED}),
    RequestState.SUBMITTED: frozenset({RequestState.REPORTING, RequestState.TIMED_OUT}),
    RequestState.REPORTING: frozenset({RequestState.FINISHED}),
    RequestState.CANCELLED: frozenset(),
    RequestState.EXPIRED: frozenset(),
    RequestState.FINISHED: frozenset(),
    RequestState.TIMED_OUT: frozenset(),
}

CHUNK_TRANSITIONS: dict[ChunkState, frozenset[ChunkState]] = {
    ChunkState.PENDING: frozenset({ChunkState.SUBMITTING, ChunkState.REJECTED}),
    ChunkState.SUBMITTING: frozenset(
        {ChunkState.SUBMITTED, ChunkState.REJECTED, ChunkState.UNCERTAIN}
    ),
    ChunkState.SUBMITTED: frozenset({ChunkState.ENDED}),
    ChunkState.ENDED: frozenset(),
    ChunkState.REJECTED: frozenset(),
    # A late answer beats a guess: a POST given up on as uncertain may still report its job id.
    ChunkState.UNCERTAIN: frozenset({ChunkState.SUBMITTED}),
}

CHUNK_SETTLED = frozenset({ChunkState.ENDED, ChunkState.REJECTED, ChunkState.UNCERTAIN})
ACTIVE_REQUEST_STATES = frozenset(
    {RequestState.CONFIRMED, RequestState.SUBMITTED, RequestState.REPORTING}
)


def sources_of(target: RequestState) -> frozenset[RequestState]:
    """The states from which ``target`` may be reached: the WHERE clause of its compare-and-set."""
    return frozenset(s for s, allowed in TRANSITIONS.items() if target in allowed)


def chunk_sources_of(target: ChunkState) -> frozenset[ChunkState]:
    return frozenset(s for s, allowed in CHUNK_TRANSITIONS.items() if target in allowed)


def chunks(ids: list[str], size: int = MAX_STOP_BATCH) -> list[list[str]]:
    """Split server ids into batch-stop calls of at most ``size`` (Huawei's limit)."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]
