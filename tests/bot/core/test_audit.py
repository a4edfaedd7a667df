"""The audit hash chain: its canonical form, and every kind of tampering found where it is."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest

from bot.core.audit import (
    GENESIS,
    AuditEntry,
    AuditEvent,
    AuditKind,
    Break,
    ChainCheck,
    canonical,
    chain,
    chain_hash,
    first_break,
    iso_time,
    to_json_line,
)

AT = 1_800_000_000.123456


def event(n: int = 0, **changes: object) -> AuditEvent:
    base = AuditEvent(
        kind=AuditKind.CONFIRMED,
        at=AT + n,
        actor_id="U123",
        actor_name="Ada Lovelace",
        channel_id="C1",
        thread_link="https://example.slack.com/archives/C1/p1800000000000100",
        request_id=f"req_{n}",
        targets=("srv-a", "srv-b"),
        count=2,
        stop_type="hard",
        reason="disk full",
        rule="grant ops",
        job_ids=("job-1",),
        cloud_request_ids=("x-req-1",),
        detail={"outcome": "stopped", "code": "BMS.0036"},
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def entries(count: int = 5) -> list[AuditEntry]:
    return chain(event(n) for n in range(count))


def test_the_chain_starts_at_genesis_and_links_each_entry_to_the_one_before() -> None:
    """Entry 1 follows the genesis hash and each hash is sha256(prev_hash + canonical)."""
    chained = entries(3)
    assert [e.seq for e in chained] == [1, 2, 3]
    assert chained[0].prev_hash == GENESIS == "0" * 64
    for before, entry in zip([None, *chained], chained, strict=False):
        prev = before.hash if before else GENESIS
        assert entry.prev_hash == prev
        expected = hashlib.sha256(prev.encode() + canonical(entry.seq, entry.event)).hexdigest()
        assert entry.hash == expected == chain_hash(prev, entry.seq, entry.event)
    assert first_break(chained) is None


def test_chaining_continues_from_a_given_entry() -> None:
    """Events added later chain onto the newest entry exactly as if added all at once."""
    whole = entries(4)
    head, tail = whole[:2], chain([event(2), event(3)], after_seq=2, after_hash=whole[1].hash)
    assert head + tail == whole


def test_canonical_form_is_sorted_compact_json_of_every_field() -> None:
    """The canonical form has sorted keys, no whitespace, seq and every field of the event."""
    text = canonical(7, event()).decode("ascii")
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert text == json.dumps(data, sort_keys=True, separators=(",", ":"))
    assert data["seq"] == 7
    expected = {f.name for f in dataclasses.fields(AuditEvent)} | {"seq"}
    assert set(data) == expected


def test_canonical_form_is_stable() -> None:
    """The same entry always gives the same bytes (the contract every stored hash relies on)."""
    e = AuditEvent(AuditKind.REQUESTED, 1.5, None, None, None, None, "req_1", ("a",), 1)
    assert canonical(1, e) == (
        b'{"actor_id":null,"actor_name":null,"at":1.5,"channel_id":null,"cloud_request_ids":[],'
        b'"count":1,"detail":{},"job_ids":[],"kind":"requested","reason":null,'
        b'"request_id":"req_1","rule":null,"seq":1,"stop_type":null,"targets":["a"],'
        b'"thread_link":null}'
    )


def test_floats_are_written_so_they_read_back_exactly() -> None:
    """A time with many digits survives the JSON round trip bit for bit."""
    at = 1_800_000_000.1234567
    assert json.loads(canonical(1, event(at=at)))["at"] == at


def test_a_whole_number_time_hashes_like_the_float_the_database_returns() -> None:
    """An int time is kept as a float, so its hash is the one verify computes from the row."""
    assert canonical(1, event(at=1_800_000_000)) == canonical(1, event(at=1_800_000_000.0))
    assert isinstance(event(at=1_800_000_000).at, float)


def test_non_ascii_text_is_escaped_in_the_canonical_form() -> None:
    """Names in any script hash the same however the database stores them (ASCII bytes)."""
    text = canonical(1, event(actor_name="Zoë 🧪 \u202e")).decode("ascii")
    assert json.loads(text)["actor_name"] == "Zoë 🧪 \u202e"


def test_detail_order_does_not_matter_and_it_cannot_be_changed() -> None:
    """Two details with the same pairs are equal and hash alike; the stored detail is read-only."""
    one = event(detail={"a": "1", "b": "2"})
    two = event(detail={"b": "2", "a": "1"})
    assert one == two
    assert hash(one) == hash(two)
    assert canonical(1, one) == canonical(1, two)
    with pytest.raises(TypeError):
        one.detail["a"] = "3"  # type: ignore[index]


def test_events_are_frozen() -> None:
    """An event cannot be changed once made."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        event().count = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", AuditKind.CANCELLED),
        ("at", AT + 0.000001),
        ("actor_id", "U999"),
        ("actor_name", "Mallory"),
        ("channel_id", "C2"),
        ("thread_link", None),
        ("request_id", "req_x"),
        ("targets", ("srv-a",)),
        ("count", 3),
        ("stop_type", "soft"),
        ("reason", "disk full!"),
        ("rule", "grant everyone"),
        ("job_ids", ()),
        ("cloud_request_ids", ("x-req-2",)),
        ("detail", {"outcome": "failed", "code": "BMS.0036"}),
    ],
)
def test_any_edited_field_is_found_at_its_entry(field: str, value: object) -> None:
    """Changing any one field of an entry breaks the chain at that entry's seq."""
    chained = entries()
    edited = dataclasses.replace(chained[2].event, **{field: value})  # type: ignore[arg-type]
    chained[2] = dataclasses.replace(chained[2], event=edited)
    broken = first_break(chained)
    assert broken == Break(3, "its contents do not match its hash: it was edited")


def test_an_edited_seq_is_found() -> None:
    """Renumbering an entry is found at that entry."""
    chained = entries()
    chained[4] = dataclasses.replace(chained[4], seq=7)
    assert first_break(chained) == Break(7, "entries 5 to 6 are missing")


def test_a_deleted_entry_is_found_at_the_one_after_it() -> None:
    """Removing an entry from the middle leaves a gap, named at the entry after it."""
    chained = entries()
    del chained[2]
    assert first_break(chained) == Break(4, "entry 3 is missing")


def test_a_deleted_first_entry_is_found() -> None:
    """Removing the first entry is found too: the chain must start at seq 1 from genesis."""
    assert first_break(entries()[1:]) == Break(2, "entry 1 is missing")


def test_a_chain_that_does_not_start_at_genesis_is_found() -> None:
    """A first entry chained to anything but the genesis hash breaks the chain at seq 1."""
    forged = chain([event()], after_seq=0, after_hash="f" * 64)
    broken = first_break(forged)
    assert broken is not None
    assert broken.seq == 1
    assert "genesis" in broken.why


def test_a_reordered_entry_is_found() -> None:
    """Two entries swapped in the stream are found at the first one out of place."""
    chained = entries()
    chained[1], chained[2] = chained[2], chained[1]
    assert first_break(chained) == Break(3, "entry 2 is missing")


def test_entries_swapped_with_their_seqs_kept_are_found() -> None:
    """Swapping two entries' contents but keeping the seqs in order breaks at the first."""
    chained = entries()
    a, b = chained[1], chained[2]
    chained[1] = dataclasses.replace(b, seq=2)
    chained[2] = dataclasses.replace(a, seq=3)
    broken = first_break(chained)
    assert broken is not None
    assert broken.seq == 2
    assert "prev_hash is not the hash of entry 1" in broken.why


def test_a_forged_hash_is_found_at_its_entry() -> None:
    """A hash replaced by another value does not match the entry's contents."""
    chained = entries()
    chained[3] = dataclasses.replace(chained[3], hash="a" * 64)
    assert first_break(chained) == Break(4, "its contents do not match its hash: it was edited")


def test_an_entry_edited_and_rehashed_is_found_at_the_next_entry() -> None:
    """Rewriting an entry with a fresh hash of its own leaves the next entry chained to the old
    hash: the break is named there, and points at the rewritten entry."""
    chained = entries()
    edited = dataclasses.replace(chained[1].event, actor_id="U999")
    rehashed = chain_hash(chained[1].prev_hash, 2, edited)
    chained[1] = AuditEntry(2, edited, chained[1].prev_hash, rehashed)
    broken = first_break(chained)
    assert broken is not None
    assert broken.seq == 3
    assert "entry 2 was rewritten" in broken.why


def test_a_repeated_entry_is_found() -> None:
    """An entry given twice is out of order the second time."""
    chained = entries()
    chained.insert(3, chained[2])
    assert first_break(chained) == Break(3, "it is out of order: it comes after entry 3")


def test_first_break_streams() -> None:
    """The check reads one entry at a time and stops at the first break."""
    read: list[int] = []

    def stream():
        for entry in entries(10):
            read.append(entry.seq)
            yield dataclasses.replace(entry, hash="b" * 64) if entry.seq == 4 else entry

    assert first_break(stream()) == Break(4, "its contents do not match its hash: it was edited")
    assert read == [1, 2, 3, 4]


def test_chain_check_reports_how_many_entries_it_read_and_the_newest_hash() -> None:
    """The step-by-step check counts entries and keeps the newest hash for anchoring elsewhere."""
    check = ChainCheck()
    chained = entries(3)
    assert all(check.add(e) is None for e in chained)
    report = check.report(None)
    assert (report.checked, report.intact, report.last_hash) == (3, True, chained[-1].hash)


def test_an_empty_chain_is_intact() -> None:
    """No entries: nothing is broken."""
    assert first_break([]) is None
    assert ChainCheck().report(None).last_hash == GENESIS


def test_json_line_has_every_field_and_both_times() -> None:
    """A SIEM line is one JSON object with every field, the hashes, epoch and ISO 8601 UTC."""
    entry = entries(1)[0]
    line = to_json_line(entry)
    assert "\n" not in line
    data = json.loads(line)
    assert data["seq"] == 1
    assert data["at"] == AT
    assert data["time"] == "2027-01-15T08:00:00.123456Z"
    assert data["kind"] == "confirmed"
    assert data["targets"] == ["srv-a", "srv-b"]
    assert data["detail"] == {"code": "BMS.0036", "outcome": "stopped"}
    assert (data["prev_hash"], data["hash"]) == (GENESIS, entry.hash)
    expected = {f.name for f in dataclasses.fields(AuditEvent)} | {"seq", "time"}
    assert set(data) == expected | {"prev_hash", "hash"}


def test_a_json_line_stays_one_line_whatever_the_text() -> None:
    """Newlines and control characters in a reason are escaped, never split the line."""
    entry = chain([event(reason="line one\nline two\r\x00")])[0]
    line = to_json_line(entry)
    assert "\n" not in line
    assert "\r" not in line
    assert json.loads(line)["reason"] == "line one\nline two\r\x00"


def test_iso_time_is_utc() -> None:
    """Epoch seconds become ISO 8601 in UTC with a Z."""
    assert iso_time(0) == "1970-01-01T00:00:00.000000Z"


def test_kinds_are_lower_case_snake_words() -> None:
    """Every kind's value is its name in lower case."""
    assert all(kind.value == kind.name.lower() for kind in AuditKind)
    assert AuditKind.APPROVAL_REQUESTED == "approval_requested"
