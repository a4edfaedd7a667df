"""The life cycle of a stop request and of each submitted chunk: states and the allowed moves.

    PREVIEWED ──confirm──▶ CONFIRMED ──submit──▶ SUBMITTED ──jobs ended──▶ REPORTING ─▶ FINISHED
        │                    │  ▲                   │
        ├─cancel─▶ CANCELLED │  │                   └─job timeout──▶ TIMED_OUT
        ├─ttl────▶ EXPIRED   └──┼─root refused─▶ PREVIEWED (click again, e.g. once the bot is in)
        │                       │
        └─ask (the grant wants a second person)─▶ AWAITING_APPROVAL ──approve──▶ APPROVED ─┘
                                                   ├─reject (or the policy now says no)─▶ REJECTED
                                                   ├─approval_ttl─▶ APPROVAL_EXPIRED
                                                   └─withdrawn by the requester─▶ CANCELLED

A scheduled stop (``at``/``in``) waits between the click (or the approval) and CONFIRMED:

    PREVIEWED / APPROVED ──schedule──▶ SCHEDULED ──its time──▶ CONFIRMED (as any stop from here)
                                         │   ▲ └─postpone─▶ POSTPONED ──its time──▶ CONFIRMED
                                         │   └─announcement refused─▶ PREVIEWED
         SCHEDULED / POSTPONED ──cancel──▶ CANCELLED
         SCHEDULED / POSTPONED ──time passed beyond the grace──▶ MISSED ──run now──▶ CONFIRMED
                                                                    └─reschedule─▶ SCHEDULED

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
    AWAITING_APPROVAL = "awaiting_approval"  # the requester asked; a second person must decide
    APPROVED = "approved"  # decided, exactly once; becomes CONFIRMED with its chunks
    REJECTED = "rejected"  # by an approver, or by the policy when checked again
    APPROVAL_EXPIRED = "approval_expired"
    SCHEDULED = "scheduled"  # announced; runs at run_at
    POSTPONED = "postponed"  # announced, then moved later; runs at run_at
    MISSED = "missed"  # its time passed beyond the grace while the bot was away: a person decides


class ReminderState(StrEnum):
    """One reminder before a scheduled stop, in its thread: posted exactly once, or not at all.

    PENDING ──claimed at its time──▶ SENT
       ├──a later one (or the stop) is due too──▶ SKIPPED
       └──the schedule moved or ended──▶ DROPPED
    """

    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"
    DROPPED = "dropped"


class ChunkState(StrEnum):
    """One batch-stop call of at most ``MAX_STOP_BATCH`` servers.

    PENDING ──claim──▶ SUBMITTING ──job id──▶ SUBMITTED ──job ended──▶ ENDED
       │                  │                     └─job unknown─▶ LOST ──servers settled──▶ ENDED
       └──▶ REJECTED ◀────┤ (refused: nothing stopped)
                          └─no answer─▶ UNCERTAIN ──servers changed──▶ ENDED
                                           ├──nothing changed in time──▶ REJECTED
                                           └──late answer──▶ SUBMITTED
    """

    PENDING = "pending"  # not sent; safe to send
    SUBMITTING = "submitting"  # claimed by a sender; may or may not have reached Huawei
    SUBMITTED = "submitted"  # Huawei returned a job id; being polled
    ENDED = "ended"  # every server's result is known (from the job, or from the servers)
    REJECTED = "rejected"  # Huawei refused the call, or never acted on it: nothing was stopped
    UNCERTAIN = "uncertain"  # no answer: being checked against the servers themselves
    LOST = "lost"  # Huawei no longer knows the job: being checked against the servers


TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    RequestState.PREVIEWED: frozenset(
        {
            RequestState.CONFIRMED,
            RequestState.CANCELLED,
            RequestState.EXPIRED,
            RequestState.AWAITING_APPROVAL,
            RequestState.SCHEDULED,
        }
    ),
    RequestState.AWAITING_APPROVAL: frozenset(
        {
            RequestState.APPROVED,
            RequestState.REJECTED,
            RequestState.APPROVAL_EXPIRED,
            RequestState.CANCELLED,
            RequestState.PREVIEWED,  # the approval request could not be posted: click again
        }
    ),
    # CANCELLED: every server was taken by another request, or became protected, meanwhile.
    RequestState.APPROVED: frozenset(
        {RequestState.CONFIRMED, RequestState.CANCELLED, RequestState.SCHEDULED}
    ),
    RequestState.SCHEDULED: frozenset(
        {
            RequestState.CONFIRMED,
            RequestState.POSTPONED,
            RequestState.CANCELLED,
            RequestState.MISSED,
            RequestState.PREVIEWED,  # the announcement could not be posted: click again
        }
    ),
    RequestState.POSTPONED: frozenset(
        {
            RequestState.CONFIRMED,
            RequestState.POSTPONED,
            RequestState.CANCELLED,
            RequestState.MISSED,
        }
    ),
    RequestState.MISSED: frozenset(
        {RequestState.CONFIRMED, RequestState.SCHEDULED, RequestState.CANCELLED}
    ),
    RequestState.CONFIRMED: frozenset({RequestState.SUBMITTED, RequestState.PREVIEWED}),
    RequestState.SUBMITTED: frozenset({RequestState.REPORTING, RequestState.TIMED_OUT}),
    RequestState.REPORTING: frozenset({RequestState.FINISHED}),
    RequestState.CANCELLED: frozenset(),
    RequestState.EXPIRED: frozenset(),
    RequestState.FINISHED: frozenset(),
    RequestState.TIMED_OUT: frozenset(),
    RequestState.REJECTED: frozenset(),
    RequestState.APPROVAL_EXPIRED: frozenset(),
}

REMINDER_TRANSITIONS: dict[ReminderState, frozenset[ReminderState]] = {
    ReminderState.PENDING: frozenset(
        {ReminderState.SENT, ReminderState.SKIPPED, ReminderState.DROPPED}
    ),
    ReminderState.SENT: frozenset(),
    ReminderState.SKIPPED: frozenset(),
    ReminderState.DROPPED: frozenset(),
}

CHUNK_TRANSITIONS: dict[ChunkState, frozenset[ChunkState]] = {
    ChunkState.PENDING: frozenset({ChunkState.SUBMITTING, ChunkState.REJECTED}),
    ChunkState.SUBMITTING: frozenset(
        {ChunkState.SUBMITTED, ChunkState.REJECTED, ChunkState.UNCERTAIN}
    ),
    ChunkState.SUBMITTED: frozenset({ChunkState.ENDED, ChunkState.LOST}),
    ChunkState.ENDED: frozenset(),
    ChunkState.REJECTED: frozenset(),
    # A late answer beats a guess: a POST given up on as uncertain may still report its job id.
    ChunkState.UNCERTAIN: frozenset({ChunkState.SUBMITTED, ChunkState.ENDED, ChunkState.REJECTED}),
    ChunkState.LOST: frozenset({ChunkState.ENDED}),
}

CHUNK_SETTLED = frozenset({ChunkState.ENDED, ChunkState.REJECTED})
# Still at work: polled through the job, or checked against the servers.
CHUNK_WATCHED = frozenset({ChunkState.SUBMITTED, ChunkState.UNCERTAIN, ChunkState.LOST})
# Announced and waiting for their time (polled by nobody: woken by their alarm).
WAITING_STATES = frozenset({RequestState.SCHEDULED, RequestState.POSTPONED})
# A schedule whose buttons still change something: waiting, or missed and waiting for a person.
SCHEDULE_OPEN_STATES = WAITING_STATES | {RequestState.MISSED}
ACTIVE_REQUEST_STATES = frozenset(
    {RequestState.APPROVED, RequestState.CONFIRMED, RequestState.SUBMITTED, RequestState.REPORTING}
)


def sources_of(target: RequestState) -> frozenset[RequestState]:
    """The states from which ``target`` may be reached: the WHERE clause of its compare-and-set."""
    return frozenset(s for s, allowed in TRANSITIONS.items() if target in allowed)


def reminder_sources_of(target: ReminderState) -> frozenset[ReminderState]:
    return frozenset(s for s, allowed in REMINDER_TRANSITIONS.items() if target in allowed)


def chunk_sources_of(target: ChunkState) -> frozenset[ChunkState]:
    return frozenset(s for s, allowed in CHUNK_TRANSITIONS.items() if target in allowed)


def chunks(ids: list[str], size: int = MAX_STOP_BATCH) -> list[list[str]]:
    """Split server ids into batch-stop calls of at most ``size`` (Huawei's limit)."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]
