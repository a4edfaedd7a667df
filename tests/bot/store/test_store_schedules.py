"""The schedule store: each move of a scheduled stop is one compare-and-set with its reminders
in the same transaction, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

from store_factories import IDS, NOW, new_request

from bot.core.lifecycle import RequestState
from bot.store import Store
from bot.store.requests import Start

RUN_AT = NOW + 7200
REMINDERS = [(3600.0, RUN_AT - 3600), (600.0, RUN_AT - 600)]


async def scheduled(store: Store, request_id: str = "req_1") -> None:
    """A stored preview for ``RUN_AT``, clicked by its requester: SCHEDULED with two reminders."""
    new = new_request(request_id)
    at = datetime.fromtimestamp(RUN_AT, UTC)
    await store.requests.add(
        dataclasses.replace(new, preview=dataclasses.replace(new.preview, run_at=at))
    )
    assert await store.schedules.schedule(request_id, "U1", NOW, REMINDERS)


async def state(store: Store, request_id: str = "req_1") -> RequestState:
    row = await store.requests.get(request_id)
    assert row is not None
    return row.state


async def test_only_the_requester_schedules_before_the_time(store: Store) -> None:
    """Someone else's click, or a click after the time, schedules nothing."""
    new = new_request()
    at = datetime.fromtimestamp(RUN_AT, UTC)
    await store.requests.add(
        dataclasses.replace(new, preview=dataclasses.replace(new.preview, run_at=at))
    )
    assert not await store.schedules.schedule("req_1", "U2", NOW, REMINDERS)
    assert not await store.schedules.schedule("req_1", "U1", RUN_AT, REMINDERS)
    assert await store.schedules.schedule("req_1", "U1", NOW, REMINDERS)
    assert not await store.schedules.schedule("req_1", "U1", NOW, REMINDERS)
    assert len(await store.schedules.pending("req_1")) == 2


async def test_the_start_happens_once_and_not_before_the_time(store: Store) -> None:
    """Start before the time: nothing; at the time: CONFIRMED with its chunks, once."""
    await scheduled(store)
    assert await store.requests.confirm("req_1", "U1", RUN_AT - 1, [IDS], by=Start.SCHEDULE) is None
    first, second = await asyncio.gather(
        store.requests.confirm("req_1", "U1", RUN_AT + 5, [IDS], by=Start.SCHEDULE),
        store.requests.confirm("req_1", "U1", RUN_AT + 5, [IDS], by=Start.SCHEDULE),
    )
    winners = [r for r in (first, second) if r is not None]
    assert len(winners) == 1
    assert winners[0].request.late_by == 5
    assert len(winners[0].chunks) == 1


async def test_cancel_and_start_exclude_each_other(store: Store) -> None:
    """Whichever of Cancel and the start comes first wins; the other changes nothing."""
    await scheduled(store)
    cancelled, started = await asyncio.gather(
        store.schedules.cancel("req_1", "U1", RUN_AT),
        store.requests.confirm("req_1", "U1", RUN_AT, [IDS], by=Start.SCHEDULE),
    )
    assert cancelled != (started is not None)
    assert await state(store) is (RequestState.CANCELLED if cancelled else RequestState.CONFIRMED)


async def test_postpone_needs_the_time_it_was_shown(store: Store) -> None:
    """A postpone from a time the row no longer has loses; the winner replaces the reminders."""
    await scheduled(store)
    later = [(600.0, RUN_AT + 3000)]
    assert await store.schedules.postpone(
        "req_1", "U1", NOW, seen_run_at=RUN_AT, run_at=RUN_AT + 3600, reminders=later
    )
    assert not await store.schedules.postpone(
        "req_1", "U1", NOW, seen_run_at=RUN_AT, run_at=RUN_AT + 7200, reminders=later
    )
    row = await store.requests.get("req_1")
    assert row is not None
    assert (row.state, row.run_at, row.changed_by) == (RequestState.POSTPONED, RUN_AT + 3600, "U1")
    assert [r.due_at for r in await store.schedules.pending("req_1")] == [RUN_AT + 3000]


async def test_a_claimed_reminder_is_never_claimed_again(store: Store) -> None:
    """Two claims of one reminder at once: exactly one wins."""
    await scheduled(store)
    [first, _] = await store.schedules.pending("req_1")
    claims = await asyncio.gather(
        *(store.schedules.claim_reminder(first.id, NOW) for _ in range(4))
    )
    assert sorted(claims) == [False, False, False, True]


async def test_missed_only_beyond_the_grace_and_run_now_once(store: Store) -> None:
    """MISSED only once the grace has passed; then Run now confirms it once."""
    await scheduled(store)
    assert not await store.schedules.miss("req_1", RUN_AT + 900, grace=900)
    assert await store.schedules.miss("req_1", RUN_AT + 901, grace=900)
    results = await asyncio.gather(
        store.requests.confirm("req_1", "U2", RUN_AT + 1000, [IDS], by=Start.RUN_NOW),
        store.requests.confirm("req_1", "U2", RUN_AT + 1000, [IDS], by=Start.RUN_NOW),
    )
    assert sum(r is not None for r in results) == 1


async def test_upcoming_lists_this_channels_open_schedules_soonest_first(store: Store) -> None:
    """/bms schedule's rows: waiting and missed ones of this channel, soonest first."""
    await scheduled(store, "req_2")
    await scheduled(store, "req_1")
    await store.schedules.postpone(
        "req_2", "U1", NOW, seen_run_at=RUN_AT, run_at=RUN_AT + 60, reminders=()
    )
    assert [r.id for r in await store.schedules.upcoming("C1")] == ["req_1", "req_2"]
    assert await store.schedules.upcoming("C2") == []
    await store.schedules.cancel("req_1", "U1", NOW)
    assert [r.id for r in await store.schedules.upcoming("C1")] == ["req_2"]


async def test_overdue_names_schedules_whose_time_or_reminder_has_come(store: Store) -> None:
    """The sweep's one query: a schedule is overdue once a pending reminder or its time is due,
    and not once that reminder was claimed."""
    await scheduled(store)
    assert await store.schedules.overdue(RUN_AT - 3601) == []
    assert await store.schedules.overdue(RUN_AT - 3600) == ["req_1"]
    [first, _] = await store.schedules.pending("req_1")
    assert await store.schedules.claim_reminder(first.id, RUN_AT - 3600)
    assert await store.schedules.overdue(RUN_AT - 3000) == []
    assert await store.schedules.overdue(RUN_AT) == ["req_1"]
    await store.schedules.cancel("req_1", "U1", RUN_AT)
    assert await store.schedules.overdue(RUN_AT + 60) == []
