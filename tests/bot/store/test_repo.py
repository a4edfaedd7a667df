"""The store's compare-and-set moves, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.core.lifecycle import ChunkState, RequestState
from bot.core.models import Outcome, Preview, Skipped, SkipReason, Target
from bot.core.results import Verdict
from bot.store.repo import R, Store
from bot.store.rows import NewRequest

NOW = 1_800_000_000.0
IDS = [f"00000000-0000-4000-8000-{i:012d}" for i in range(3)]


def new_request(request_id: str = "req_1", user: str = "U1", ttl: float = 600) -> NewRequest:
    preview = Preview(
        request_id=request_id,
        user_id=user,
        targets=tuple(Target(i, f"web-{n}", "ACTIVE") for n, i in enumerate(IDS)),
        skipped=(Skipped("ffffffff-0000-4000-8000-000000000000", SkipReason.UNKNOWN),),
        soft=False,
        reason="disk full",
        expires_at=datetime.fromtimestamp(NOW + ttl, UTC),
    )
    return NewRequest(preview, "T1", "C1", "command", None, "http://r", NOW)


@pytest.fixture
async def store(engine) -> Store:
    return Store(engine)


async def test_round_trip(store: Store) -> None:
    """A stored request reads back with its targets, skipped ids and PREVIEWED state."""
    await store.create_request(new_request())
    row = await store.get_request("req_1")
    assert row is not None
    assert row.state is RequestState.PREVIEWED
    assert [t.id for t in row.targets] == IDS
    assert row.skipped[0].reason is SkipReason.UNKNOWN
    assert row.reason == "disk full"
    assert row.names[IDS[1]] == "web-1"


async def test_twenty_concurrent_confirms_one_wins(store: Store) -> None:
    """Twenty concurrent confirmations of one request: exactly one wins, chunks are created once."""
    await store.create_request(new_request())
    results = await asyncio.gather(
        *(store.confirm("req_1", "U1", NOW + 1, [IDS]) for _ in range(20))
    )
    assert results.count(True) == 1
    assert len(await store.chunks("req_1")) == 1


async def test_confirm_refuses_other_user_and_expiry(store: Store) -> None:
    """Only the requester, and only before expiry, can confirm."""
    await store.create_request(new_request(ttl=60))
    assert not await store.confirm("req_1", "U2", NOW + 1, [IDS])
    assert not await store.confirm("req_1", "U1", NOW + 61, [IDS])
    assert await store.confirm("req_1", "U1", NOW + 59, [IDS])


async def test_move_only_from_allowed_states(store: Store) -> None:
    """A move applies once from an allowed state and never from a final one."""
    await store.create_request(new_request())
    assert await store.move("req_1", RequestState.CANCELLED, NOW, where=[R.user_id == "U1"])
    assert not await store.move("req_1", RequestState.CANCELLED, NOW)
    assert not await store.move("req_1", RequestState.CONFIRMED, NOW)
    assert not await store.confirm("req_1", "U1", NOW, [IDS])


async def test_chunk_claim_is_single(store: Store) -> None:
    """Concurrent claims of a pending chunk: one sender wins."""
    await store.create_request(new_request())
    await store.confirm("req_1", "U1", NOW, [IDS[:2], IDS[2:]])
    chunk = (await store.chunks("req_1"))[0]
    claims = await asyncio.gather(
        *(store.move_chunk(chunk.id, ChunkState.SUBMITTING, NOW) for _ in range(10))
    )
    assert claims.count(True) == 1


async def test_chunk_verdicts_round_trip(store: Store) -> None:
    """Verdicts stored with a chunk come back as they were."""
    await store.create_request(new_request())
    await store.confirm("req_1", "U1", NOW, [IDS])
    chunk = (await store.chunks("req_1"))[0]
    await store.move_chunk(chunk.id, ChunkState.SUBMITTING, NOW)
    await store.move_chunk(chunk.id, ChunkState.SUBMITTED, NOW, job_id="job1")
    verdicts = {IDS[0]: Verdict(Outcome.FAILED, "BMS.0039", "already stopped")}
    await store.move_chunk(chunk.id, ChunkState.ENDED, NOW, verdicts, job_status="FAIL")
    stored = (await store.chunks("req_1"))[0]
    assert stored.state is ChunkState.ENDED
    assert stored.verdicts == verdicts
    assert (await store.chunk_by_job_id("job1")) == stored


async def test_counter_cas(store: Store) -> None:
    """The posted-parts counter advances only from the value the caller saw."""
    await store.create_request(new_request())
    assert await store.advance_counter("req_1", "report_parts_posted", 0, 1)
    assert not await store.advance_counter("req_1", "report_parts_posted", 0, 1)


async def test_event_seen_once(store: Store) -> None:
    """An event id is new the first time and a duplicate after, even concurrently."""
    seen = await asyncio.gather(*(store.first_sighting("Ev1", NOW) for _ in range(5)))
    assert seen.count(True) == 1
    await store.forget_events(NOW + 1)
    assert await store.first_sighting("Ev1", NOW + 2)


async def test_poll_failures_count_up(store: Store) -> None:
    """Failed polls are counted in a row."""
    await store.create_request(new_request())
    await store.confirm("req_1", "U1", NOW, [IDS])
    chunk = (await store.chunks("req_1"))[0]
    assert await store.record_poll_failure(chunk.id, NOW, "boom") == 1
    assert await store.record_poll_failure(chunk.id, NOW, "boom") == 2


async def test_expire_previews(store: Store) -> None:
    """Unanswered previews past their expiry become EXPIRED."""
    await store.create_request(new_request(ttl=10))
    assert await store.expire_previews(NOW + 5) == 0
    assert await store.expire_previews(NOW + 11) == 1
    row = await store.get_request("req_1")
    assert row is not None
    assert row.state is RequestState.EXPIRED
