"""The request and chunk life cycles."""

from __future__ import annotations

from bot.core.lifecycle import (
    CHUNK_TRANSITIONS,
    REMINDER_TRANSITIONS,
    TRANSITIONS,
    ChunkState,
    ReminderState,
    RequestState,
    chunk_sources_of,
    chunks,
    reminder_sources_of,
    sources_of,
)


def test_confirm_only_from_previewed_approved_or_a_schedule() -> None:
    """Only a previewed request, one a second person approved, or a schedule whose time came
    (or was missed and run now) can be confirmed; cancelling is for what has sent nothing yet."""
    assert sources_of(RequestState.CONFIRMED) == {
        RequestState.PREVIEWED,
        RequestState.APPROVED,
        RequestState.SCHEDULED,
        RequestState.POSTPONED,
        RequestState.MISSED,
    }
    assert sources_of(RequestState.CANCELLED) == {
        RequestState.PREVIEWED,
        RequestState.AWAITING_APPROVAL,
        RequestState.APPROVED,
        RequestState.SCHEDULED,
        RequestState.POSTPONED,
        RequestState.MISSED,
    }
    assert sources_of(RequestState.EXPIRED) == {RequestState.PREVIEWED}


def test_approval_is_decided_only_while_awaited() -> None:
    """Approved, rejected and expired approvals come only from an awaiting request."""
    for state in (
        RequestState.APPROVED,
        RequestState.REJECTED,
        RequestState.APPROVAL_EXPIRED,
    ):
        assert sources_of(state) == {RequestState.AWAITING_APPROVAL}
    assert sources_of(RequestState.AWAITING_APPROVAL) == {RequestState.PREVIEWED}


def test_final_states_have_no_exit() -> None:
    """Cancelled, expired, finished and timed-out requests never move again."""
    for state in (
        RequestState.CANCELLED,
        RequestState.EXPIRED,
        RequestState.FINISHED,
        RequestState.TIMED_OUT,
        RequestState.REJECTED,
        RequestState.APPROVAL_EXPIRED,
    ):
        assert TRANSITIONS[state] == frozenset()


def test_every_state_has_a_rule() -> None:
    """Each state of the three machines is listed, so no move is decided by omission."""
    assert set(TRANSITIONS) == set(RequestState)
    assert set(CHUNK_TRANSITIONS) == set(ChunkState)
    assert set(REMINDER_TRANSITIONS) == set(ReminderState)


def test_a_schedule_starts_only_from_waiting_or_missed_and_a_reminder_posts_once() -> None:
    """The time (or Run now) starts a schedule; only a waiting one is missed or postponed; a
    reminder leaves PENDING once and never comes back."""
    waiting = {RequestState.SCHEDULED, RequestState.POSTPONED}
    assert sources_of(RequestState.MISSED) == waiting
    assert sources_of(RequestState.POSTPONED) == waiting
    assert sources_of(RequestState.SCHEDULED) == {
        RequestState.PREVIEWED,
        RequestState.APPROVED,
        RequestState.MISSED,
    }
    assert reminder_sources_of(ReminderState.SENT) == {ReminderState.PENDING}
    assert reminder_sources_of(ReminderState.PENDING) == frozenset()


def test_chunk_sent_at_most_once() -> None:
    """Only a pending chunk can be claimed for sending; nothing leads back to pending."""
    assert chunk_sources_of(ChunkState.SUBMITTING) == {ChunkState.PENDING}
    assert chunk_sources_of(ChunkState.PENDING) == frozenset()


def test_chunks_of_1500() -> None:
    """1500 servers make two calls: 1000 and 500, in order."""
    ids = [str(i) for i in range(1500)]
    parts = chunks(ids)
    assert [len(p) for p in parts] == [1000, 500]
    assert parts[0] + parts[1] == ids


def test_chunks_exact_and_empty() -> None:
    """1000 servers make one call; none make none."""
    assert len(chunks([str(i) for i in range(1000)])) == 1
    assert chunks([]) == []
