"""The audit trail, as data: what happened, by whom, and the hash chain that makes it
tamper-evident.

Each entry's ``hash`` is the SHA-256 of the previous entry's hash and the entry's own canonical
form (``canonical``: its ``seq`` and every field of its event), starting from ``GENESIS``. Editing
any field, removing an entry or swapping two breaks the chain at that entry, and ``first_break``
(or ``ChainCheck``, one entry at a time) says where and why. Removing the newest entries leaves an
intact, shorter chain: keep the newest hash elsewhere (``VerifyReport.last_hash``) to notice that.

The canonical form is the contract with every stored hash: a field added to ``AuditEvent`` later
must be left out of it while at its default, or old entries stop verifying.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

GENESIS = "0" * 64


class AuditKind(StrEnum):
    REQUESTED = "requested"
    REFUSED = "refused"
    CONFIRMED = "confirmed"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    APPROVAL_EXPIRED = "approval_expired"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    BREAK_GLASS = "break_glass"
    ACKNOWLEDGED = "acknowledged"
    SUBMITTED = "submitted"
    JOB_RESULT = "job_result"
    SERVER_OUTCOME = "server_outcome"
    FINISHED = "finished"
    SCHEDULED = "scheduled"  # announced for a later time (detail: run_at, reminders)
    POSTPONED = "postponed"  # moved later, or a missed one rescheduled (detail: from, to)
    MISSED = "missed"  # its time passed beyond the grace (detail: late_by)


def _no_detail() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One thing that happened. Times are UTC epoch seconds; ``actor_id`` is None when the bot
    itself acted; ``rule`` is the grant or protect rule that decided; ``cloud_request_ids`` are
    Huawei's X-Request-Id values; ``detail`` holds short extras (outcome, error code, …)."""

    kind: AuditKind
    at: float
    actor_id: str | None
    actor_name: str | None
    channel_id: str | None
    thread_link: str | None
    request_id: str | None
    targets: tuple[str, ...] = ()
    count: int = 0
    stop_type: str | None = None  # "soft" or "hard"
    reason: str | None = None
    rule: str | None = None
    job_ids: tuple[str, ...] = ()
    cloud_request_ids: tuple[str, ...] = ()
    detail: Mapping[str, str] = field(default_factory=_no_detail)

    def __post_init__(self) -> None:
        # Normalised so that what is hashed is exactly what the database gives back: a float
        # time, tuples, and a read-only copy of the detail (compared by value).
        object.__setattr__(self, "kind", AuditKind(self.kind))
        object.__setattr__(self, "at", float(self.at))
        for name in ("targets", "job_ids", "cloud_request_ids"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "detail", MappingProxyType(dict(sorted(self.detail.items()))))

    def __hash__(self) -> int:  # the detail mapping itself is not hashable
        return hash((self.kind, self.at, self.actor_id, self.request_id, self.targets))


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """An event as stored: its place in the chain and the hashes that hold it there."""

    seq: int
    event: AuditEvent
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class Break:
    """Where the chain breaks: the first entry that does not hold, and why in plain words."""

    seq: int
    why: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """A whole chain checked: how many entries were read and the first break, if any."""

    checked: int
    broken: Break | None
    last_hash: str = GENESIS  # the newest entry's hash: kept elsewhere, it reveals a cut tail

    @property
    def intact(self) -> bool:
        return self.broken is None


def _fields(seq: int, event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": seq,
        "kind": event.kind.value,
        "at": event.at,
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "channel_id": event.channel_id,
        "thread_link": event.thread_link,
        "request_id": event.request_id,
        "targets": list(event.targets),
        "count": event.count,
        "stop_type": event.stop_type,
        "reason": event.reason,
        "rule": event.rule,
        "job_ids": list(event.job_ids),
        "cloud_request_ids": list(event.cloud_request_ids),
        "detail": dict(event.detail),
    }


def canonical(seq: int, event: AuditEvent) -> bytes:
    """The bytes an entry's hash covers: every field and ``seq`` as JSON with sorted keys and
    no whitespace, ASCII only; floats as ``repr`` writes them, so they read back exactly."""
    text = json.dumps(_fields(seq, event), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.encode("ascii")


def chain_hash(prev_hash: str, seq: int, event: AuditEvent) -> str:
    """SHA-256 (hex) over the previous entry's hash and this entry's canonical form."""
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(seq, event)).hexdigest()


def chain(
    events: Iterable[AuditEvent], *, after_seq: int = 0, after_hash: str = GENESIS
) -> list[AuditEntry]:
    """``events`` as the entries that follow the entry ``after_seq`` (whose hash is
    ``after_hash``); from the start of the chain by default."""
    entries = []
    prev_hash = after_hash
    for seq, event in enumerate(events, start=after_seq + 1):
        digest = chain_hash(prev_hash, seq, event)
        entries.append(AuditEntry(seq, event, prev_hash, digest))
        prev_hash = digest
    return entries


class ChainCheck:
    """``first_break`` one entry at a time, for a reader that pages through the chain."""

    def __init__(self) -> None:
        self.checked = 0
        self._seq = 0
        self._hash = GENESIS

    def add(self, entry: AuditEntry) -> Break | None:
        """The break at ``entry``, or None when it follows the entries before it."""
        self.checked += 1
        problem = self._problem(entry)
        self._seq, self._hash = entry.seq, entry.hash
        return Break(entry.seq, problem) if problem else None

    def _problem(self, entry: AuditEntry) -> str | None:
        return self._out_of_place(entry.seq) or self._unchained(entry)

    def _out_of_place(self, seq: int) -> str | None:
        expected = self._seq + 1
        if seq == expected + 1:
            return f"entry {expected} is missing"
        if seq > expected:
            return f"entries {expected} to {seq - 1} are missing"
        if seq < expected:
            return f"it is out of order: it comes after entry {self._seq}"
        return None

    def _unchained(self, entry: AuditEntry) -> str | None:
        if entry.prev_hash != self._hash:
            if self._seq == 0:
                return "its prev_hash is not the genesis hash: the chain does not start here"
            return (
                f"its prev_hash is not the hash of entry {self._seq}: entry {self._seq} was "
                "rewritten, or this one was"
            )
        if entry.hash != chain_hash(entry.prev_hash, entry.seq, entry.event):
            return "its contents do not match its hash: it was edited"
        return None

    def report(self, broken: Break | None) -> VerifyReport:
        """What was checked so far, ending at ``broken`` (None: intact)."""
        return VerifyReport(self.checked, broken, self._hash)


def first_break(entries: Iterable[AuditEntry]) -> Break | None:
    """The first entry, oldest first, whose seq does not follow the one before, whose prev_hash
    is not the previous entry's hash, or whose hash does not match its contents."""
    check = ChainCheck()
    for entry in entries:
        if broken := check.add(entry):
            return broken
    return None


def iso_time(at: float) -> str:
    """Epoch seconds as ISO 8601 UTC to the microsecond: ``2027-01-15T08:00:00.000000Z``."""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def to_json_line(entry: AuditEntry) -> str:
    """One entry as one line of JSON for a SIEM: every field, the hashes, and the time both as
    epoch seconds (``at``) and as ISO 8601 UTC (``time``)."""
    fields = _fields(entry.seq, entry.event)
    line = {
        "seq": entry.seq,
        "time": iso_time(entry.event.at),
        **fields,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }
    return json.dumps(line, separators=(",", ":"), allow_nan=False)
