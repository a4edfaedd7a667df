"""Requests: stored, read back, and moved only by compare-and-set, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from store_factories import IDS, NOW, new_request

from bot.core.audit import AuditEvent, AuditKind
from bot.core.lifecycle import ChunkState, RequestState
from bot.core.models import SkipReason
from bot.store import Store
from bot.store import requests as requests_module
from bot.store.requests import AllTaken


async def test_round_trip(store: Store) -> None:
    """A stored request reads back with its targets, skipped ids and PREVIEWED state."""
    await store.requests.add(new_request())
    row = await store.requests.get("req_1")
    assert row is not None
    assert row.state is RequestState.PREVIEWED
    assert [t.id for t in row.targets] == IDS
    assert row.skipped[0].reason is SkipReason.UNKNOWN
    assert row.reason == "disk full"
    assert row.names[IDS[1]] == "web-1"


async def test_twenty_concurrent_confirms_one_wins(store: Store) -> None:
    """Twenty concurrent confirmations of one request: exactly one wins, chunks are created once."""
    await store.requests.add(new_request())
    results = await asyncio.gather(
        *(store.requests.confirm("req_1", "U1", NOW + 1, [IDS]) for _ in range(20))
    )
    assert sum(r is not None for r in results) == 1
    record = await store.load("req_1")
    assert record is not None
    assert len(record.chunks) == 1


async def test_confirm_hands_back_what_it_stored(store: Store) -> None:
    """The winning confirmation returns the confirmed request and its chunks as stored."""
    await store.requests.add(new_request())
    confirmed = await store.requests.confirm("req_1", "U1", NOW + 1, [IDS[:2], IDS[2:]])
    assert confirmed is not None
    assert confirmed.request.state is RequestState.CONFIRMED
    assert confirmed.request.confirmed_at == NOW + 1
    assert [c.server_ids for c in confirmed.chunks] == [tuple(IDS[:2]), tuple(IDS[2:])]
    assert confirmed == await store.load("req_1")


async def test_confirm_refuses_other_user_and_expiry(store: Store) -> None:
    """Only the requester, and only before expiry, can confirm."""
    await store.requests.add(new_request(ttl=60))
    assert await store.requests.confirm("req_1", "U2", NOW + 1, [IDS]) is None
    assert await store.requests.confirm("req_1", "U1", NOW + 61, [IDS]) is None
    assert await store.requests.confirm("req_1", "U1", NOW + 59, [IDS]) is not None


async def test_move_only_from_allowed_states(store: Store) -> None:
    """A move applies once from an allowed state and never from a final one."""
    await store.requests.add(new_request())
    assert await store.requests.cancel("req_1", "U1", NOW)
    assert not await store.requests.move("req_1", RequestState.CANCELLED, NOW)
    assert not await store.requests.move("req_1", RequestState.CONFIRMED, NOW)
    assert await store.requests.confirm("req_1", "U1", NOW, [IDS]) is None


async def test_cancel_only_by_the_requester(store: Store) -> None:
    """Someone else's cancel changes nothing."""
    await store.requests.add(new_request())
    assert not await store.requests.cancel("req_1", "U2", NOW)
    row = await store.requests.get("req_1")
    assert row is not None
    assert row.state is RequestState.PREVIEWED


async def test_moves_stamp_their_time(store: Store) -> None:
    """SUBMITTED and REPORTING record when they happened, for the clock rules."""
    await store.requests.add(new_request())
    await store.requests.confirm("req_1", "U1", NOW, [IDS])
    assert await store.requests.move("req_1", RequestState.SUBMITTED, NOW + 5)
    assert await store.requests.move("req_1", RequestState.REPORTING, NOW + 9)
    row = await store.requests.get("req_1")
    assert row is not None
    assert (row.submitted_at, row.finished_at) == (NOW + 5, NOW + 9)


async def test_root_and_progress_recorded(store: Store) -> None:
    """The root's ts, the thread and the progress shown are kept on the request."""
    await store.requests.add(new_request())
    await store.requests.record_root("req_1", "111.1", "111.1", NOW)
    await store.requests.record_progress("req_1", 2, NOW)
    row = await store.requests.get("req_1")
    assert row is not None
    assert (row.root_ts, row.thread_ts, row.progress_done) == ("111.1", "111.1", 2)


async def test_counter_cas(store: Store) -> None:
    """The posted-parts counter advances only from the value the caller saw."""
    await store.requests.add(new_request())
    assert await store.requests.count_report_part("req_1", 0, NOW)
    assert not await store.requests.count_report_part("req_1", 0, NOW)


async def test_expire_previews(store: Store) -> None:
    """Unanswered previews past their expiry become EXPIRED."""
    await store.requests.add(new_request(ttl=10))
    assert await store.requests.expire_previews(NOW + 5) == 0
    assert await store.requests.expire_previews(NOW + 11) == 1
    row = await store.requests.get("req_1")
    assert row is not None
    assert row.state is RequestState.EXPIRED


async def test_load_of_an_unknown_request_is_none(store: Store) -> None:
    """Loading a request that was never stored gives None, not an error."""
    assert await store.load("req_missing") is None
    assert await store.requests.names_for_job("no-such-job") == {}


async def test_servers_another_request_is_stopping_are_left_out(store: Store) -> None:
    """A second request over the same servers confirms only those nobody is stopping yet; the
    others are skipped as taken, naming the request that has them."""
    await store.requests.add(new_request("req_a"))
    assert await store.requests.confirm("req_a", "U1", NOW, [IDS[:2]])
    await store.requests.add(new_request("req_b"))
    record = await store.requests.confirm("req_b", "U1", NOW, [IDS])
    assert record is not None
    assert [t.id for t in record.request.targets] == IDS[2:]
    taken = [s for s in record.request.skipped if s.reason is SkipReason.TAKEN]
    assert {(s.id, s.by_request) for s in taken} == {(IDS[0], "req_a"), (IDS[1], "req_a")}
    assert [c.server_ids for c in record.chunks] == [tuple(IDS[2:])]
    assert record == await store.load("req_b")


async def test_a_request_whose_servers_are_all_taken_is_not_confirmed(store: Store) -> None:
    """When every server is taken, nothing changes and the answer says by which request."""
    await store.requests.add(new_request("req_a"))
    assert await store.requests.confirm("req_a", "U1", NOW, [IDS])
    await store.requests.add(new_request("req_b"))
    with pytest.raises(AllTaken) as caught:
        await store.requests.confirm("req_b", "U1", NOW, [IDS])
    assert caught.value.taken == dict.fromkeys(IDS, "req_a")
    row = await store.requests.get("req_b")
    assert row is not None
    assert row.state is RequestState.PREVIEWED


async def test_concurrent_confirms_of_the_same_servers_send_one_stop(store: Store) -> None:
    """Two requests over the same servers confirmed at the same moment: one gets them all."""
    for name in ("req_a", "req_b"):
        await store.requests.add(new_request(name))
    outcomes = await asyncio.gather(
        *(store.requests.confirm(n, "U1", NOW, [IDS]) for n in ("req_a", "req_b")),
        return_exceptions=True,
    )
    assert sum(isinstance(o, AllTaken) for o in outcomes) == 1
    [record] = [o for o in outcomes if not isinstance(o, BaseException)]
    assert record is not None
    assert [t.id for t in record.request.targets] == IDS


async def test_finished_requests_do_not_hold_their_servers(store: Store) -> None:
    """Once a request's call is settled, its servers may be stopped by another request."""
    await store.requests.add(new_request("req_a"))
    first = await store.requests.confirm("req_a", "U1", NOW, [IDS])
    assert first is not None
    claimed = await store.chunks.claim(first.chunks[0], NOW, owner="r1", lease=60)
    assert claimed is not None
    await store.chunks.settle(
        claimed, ChunkState.REJECTED, {}, error_code="X", error_message="refused", now=NOW
    )
    await store.requests.add(new_request("req_b"))
    assert await store.requests.confirm("req_b", "U1", NOW, [IDS]) is not None


def _entry(kind: AuditKind = AuditKind.CANCELLED) -> AuditEvent:
    return AuditEvent(kind, NOW, "U1", "alice", "C1", None, "req_1")


async def test_a_state_change_writes_its_audit_entry_once(store: Store) -> None:
    """The winning compare-and-set writes its entry; the losing one writes nothing."""
    await store.requests.add(new_request())
    assert await store.requests.cancel("req_1", "U1", NOW + 1, [_entry()])
    assert not await store.requests.cancel("req_1", "U1", NOW + 2, [_entry()])
    kinds = [e.event.kind for e in await store.audit.for_request("req_1")]
    assert kinds == [AuditKind.CANCELLED]


async def test_a_state_change_and_its_audit_commit_together(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the audit entry cannot be written, the state change is rolled back with it."""
    await store.requests.add(new_request())

    async def broken(conn: object, events: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(requests_module, "append_after_write", broken)
    with pytest.raises(RuntimeError):
        await store.requests.cancel("req_1", "U1", NOW + 1, [_entry()])
    row = await store.requests.get("req_1")
    assert row is not None
    assert row.state is RequestState.PREVIEWED


async def test_a_confirmation_writes_its_entry_for_what_it_confirmed(store: Store) -> None:
    """The confirm entry is made from the confirmed request, in the confirm's transaction."""
    await store.requests.add(new_request())
    record = await store.requests.confirm(
        "req_1",
        "U1",
        NOW + 1,
        [IDS],
        audit=lambda req: [
            AuditEvent(
                AuditKind.CONFIRMED,
                NOW + 1,
                "U1",
                None,
                "C1",
                None,
                req.id,
                targets=tuple(t.id for t in req.targets),
            )
        ],
    )
    assert record is not None
    [entry] = await store.audit.for_request("req_1")
    assert entry.event.targets == tuple(IDS)


async def test_a_root_is_recorded_once_with_its_entry(store: Store) -> None:
    """The first root wins and writes its audit entry; a second adoption changes nothing."""
    await store.requests.add(new_request())
    assert await store.requests.record_root("req_1", "1.1", "1.1", NOW, [_entry()])
    assert not await store.requests.record_root("req_1", "2.2", "2.2", NOW, [_entry()])
    row = await store.requests.get("req_1")
    assert row is not None
    assert row.root_ts == "1.1"
    assert len(await store.audit.for_request("req_1")) == 1
