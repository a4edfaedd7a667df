"""The audit trail in the database: appended in one chain, read back exactly, never changed."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from store_factories import NOW

from bot.core.audit import GENESIS, AuditEvent, AuditKind, Break, first_break
from bot.store import Store
from bot.store.engine import make_engine


def event(n: int = 0, request_id: str = "req_1", **changes: object) -> AuditEvent:
    base = AuditEvent(
        kind=AuditKind.SERVER_OUTCOME,
        at=NOW + n / 7,  # times with many digits must read back exactly
        actor_id="U123",
        actor_name="Zoë 🧪",
        channel_id="C1",
        thread_link="https://example.slack.com/archives/C1/p1800000000000100",
        request_id=request_id,
        targets=(f"srv-{n}",),
        count=1,
        stop_type="soft",
        reason="disk full",
        rule="grant ops on web-*",
        job_ids=("job-1",),
        cloud_request_ids=("x-req-1", "x-req-2"),
        detail={"outcome": "stopped", "n": str(n)},
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


async def execute(store: Store, sql: str) -> None:
    """Raw SQL as a DBA would type it, past the store's own methods."""
    async with store.engine.begin() as conn:
        await conn.execute(sa.text(sql))


async def test_appended_entries_read_back_exactly(store: Store) -> None:
    """What append returns is what recent reads back, field for field, and the chain holds."""
    first = await store.audit.append(event(0))
    more = await store.audit.append_many([event(1), event(2, kind=AuditKind.FINISHED)])
    assert [e.seq for e in [first, *more]] == [1, 2, 3]
    assert first.prev_hash == GENESIS
    assert more[0].prev_hash == first.hash
    assert await store.audit.recent(10) == [first, *more]
    report = await store.audit.verify()
    assert (report.checked, report.broken, report.last_hash) == (3, None, more[-1].hash)


async def test_an_event_the_bot_made_alone_round_trips(store: Store) -> None:
    """An entry with no actor, no targets and no detail reads back unchanged too."""
    bare = AuditEvent(AuditKind.EXPIRED, NOW, None, None, None, None, None)
    assert await store.audit.recent(1) == []
    entry = await store.audit.append(bare)
    assert await store.audit.recent(1) == [entry]


async def test_append_many_of_nothing_adds_nothing(store: Store) -> None:
    """An empty batch writes no entry."""
    assert await store.audit.append_many([]) == []
    assert (await store.audit.verify()).checked == 0


async def test_recent_is_the_newest_entries_newest_last(store: Store) -> None:
    """recent(n) gives the last n entries in chain order."""
    await store.audit.append_many([event(n) for n in range(6)])
    assert [e.seq for e in await store.audit.recent(3)] == [4, 5, 6]


async def test_for_request_is_one_requests_entries_in_order(store: Store) -> None:
    """for_request picks out one request's entries, oldest first."""
    await store.audit.append_many([event(n, request_id=f"req_{n % 2}") for n in range(6)])
    assert [e.seq for e in await store.audit.for_request("req_1")] == [2, 4, 6]
    assert await store.audit.for_request("req_9") == []


async def test_hundreds_at_once_and_since_pages_through_them(store: Store) -> None:
    """A batch of hundreds is one chain; since() pages by seq and starts at the given time."""
    await store.audit.append_many([event(n, at=NOW + n) for n in range(700)])
    got = [e.seq async for e in store.audit.since(NOW + 100, page=64)]
    assert got == list(range(101, 701))
    assert [e.seq async for e in store.audit.since(NOW + 700)] == []
    report = await store.audit.verify(page=64)
    assert (report.checked, report.intact) == (700, True)


async def test_since_follows_the_chain_not_the_clock(store: Store) -> None:
    """Entries come in seq order even when a replica's clock put an event's time earlier."""
    await store.audit.append_many([event(0, at=NOW + 5), event(1, at=NOW + 1), event(2, at=NOW)])
    assert [e.seq async for e in store.audit.since(NOW + 1)] == [1, 2]


async def test_concurrent_appends_keep_one_unbroken_chain(store: Store) -> None:
    """Many tasks on two engines (two replicas) appending at once never fork the chain."""
    other = Store(make_engine(store.engine.url.render_as_string(hide_password=False)))
    try:

        async def writer(s: Store, w: int) -> None:
            for n in range(8):
                if n % 3:
                    await s.audit.append(event(n, request_id=f"w{w}"))
                else:
                    await s.audit.append_many([event(n, request_id=f"w{w}")] * 3)

        await asyncio.gather(*(writer(store if w % 2 else other, w) for w in range(8)))
    finally:
        await other.close()
    everything = await store.audit.recent(1000)
    assert len(everything) == 8 * (5 + 3 * 3)
    assert first_break(everything) is None
    assert (await store.audit.verify()).intact


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 2",
        "UPDATE audit_log SET hash = hash",
        "DELETE FROM audit_log WHERE seq = 2",
        "DELETE FROM audit_log",
    ],
)
async def test_the_database_refuses_to_change_or_delete_entries(store: Store, sql: str) -> None:
    """The triggers refuse every UPDATE and DELETE on audit_log, whoever sends it."""
    entries = await store.audit.append_many([event(n) for n in range(3)])
    with pytest.raises(IntegrityError, match="audit_log is append-only"):
        await execute(store, sql)
    assert await store.audit.recent(5) == entries


@pytest.mark.parametrize("db_kind", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_postgres_refuses_truncate(store: Store) -> None:
    """On PostgreSQL TRUNCATE, which skips row triggers, is refused too."""
    await store.audit.append(event())
    with pytest.raises(IntegrityError, match="audit_log is append-only"):
        await execute(store, "TRUNCATE audit_log")
    assert len(await store.audit.recent(5)) == 1


async def drop_triggers(store: Store) -> None:
    """What a DBA with enough rights could do first."""
    if store.engine.dialect.name == "postgresql":
        await execute(store, "DROP TRIGGER audit_log_no_change ON audit_log")
    else:
        await execute(store, "DROP TRIGGER audit_log_no_update")
        await execute(store, "DROP TRIGGER audit_log_no_delete")


async def test_a_hand_edited_row_is_found_at_its_seq(store: Store) -> None:
    """A row changed after dropping the triggers fails verify at that row's seq."""
    await store.audit.append_many([event(n) for n in range(10)])
    await drop_triggers(store)
    await execute(store, "UPDATE audit_log SET actor_id = 'U999' WHERE seq = 6")
    report = await store.audit.verify(page=4)
    assert report.broken == Break(6, "its contents do not match its hash: it was edited")
    assert report.checked == 6


async def test_a_hand_deleted_row_is_found(store: Store) -> None:
    """A row deleted after dropping the triggers leaves a gap verify names."""
    await store.audit.append_many([event(n) for n in range(10)])
    await drop_triggers(store)
    await execute(store, "DELETE FROM audit_log WHERE seq = 4")
    assert (await store.audit.verify(page=3)).broken == Break(5, "entry 4 is missing")


async def test_a_row_edited_to_an_unknown_kind_is_found(store: Store) -> None:
    """A kind this code does not know is a break at that seq, not a crash."""
    await store.audit.append_many([event(n) for n in range(3)])
    await drop_triggers(store)
    await execute(store, "UPDATE audit_log SET kind = 'nothing' WHERE seq = 2")
    report = await store.audit.verify()
    assert report.broken is not None
    assert report.broken.seq == 2
    assert "cannot be read" in report.broken.why


async def test_downgrading_drops_the_table_and_its_triggers(store: Store) -> None:
    """Below revision 0005 there is no audit_log; upgrading again brings it back, guarded."""
    from alembic import command

    from bot.store.migrate import _config, upgrade

    async with store.engine.begin() as conn:
        await conn.run_sync(lambda c: command.downgrade(_config(c), "0004"))
    async with store.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
    assert "audit_log" not in tables
    await upgrade(store.engine)
    await store.audit.append(event())
    with pytest.raises(IntegrityError, match="audit_log is append-only"):
        await execute(store, "DELETE FROM audit_log")
