"""Plain data the core, the stop service and the message builders share; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal


class SkipReason(StrEnum):
    UNKNOWN = "unknown"  # no such server in this project
    STOPPED = "stopped"  # already SHUTOFF
    STOPPING = "stopping"  # task_state powering-off
    TAKEN = "taken"  # another active request of this bot is stopping it (``by_request``)
    PROTECTED = "protected"  # a ``[[protect]]`` rule of the policy keeps it running (``rule``)


@dataclass(frozen=True, slots=True)
class Target:
    """A server the request will stop, as the preview showed it."""

    id: str
    name: str
    status: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """An id left out of the stop, and why."""

    id: str
    reason: SkipReason
    name: str | None = None
    status: str | None = None
    by_request: str | None = None  # TAKEN: the request that is stopping it
    rule: str | None = None  # PROTECTED: the rule that protects it


@dataclass(frozen=True, slots=True)
class Preview:
    """What a stop request would do, shown to the requester before they confirm."""

    request_id: str
    user_id: str
    targets: tuple[Target, ...]
    skipped: tuple[Skipped, ...]
    soft: bool
    reason: str | None
    expires_at: datetime
    rule: str = ""  # the grant that let the request in (recorded in the audit)
    approval: Approval | None = None  # a second person must approve before anything stops
    break_glass: bool = False  # the requester skips the wait; the approvers review afterwards
    run_at: datetime | None = None  # a scheduled stop: when it runs (UTC); None: on the click
    tz: str | None = None  # the zone its time was read in


@dataclass(frozen=True, slots=True)
class Approval:
    """Why a request needs a second person, and who may be that person (user ids, group refs)."""

    why: str
    approvers: tuple[str, ...]


class Outcome(StrEnum):
    STOPPED = "stopped"
    FAILED = "failed"
    PENDING = "pending"  # the job is still working on it
    UNKNOWN = "unknown"  # the job ended without saying anything about this server


@dataclass(frozen=True, slots=True)
class ServerResult:
    """One server's fate in a stop job: the one shape it has from the job's sub-job to the report
    (the store keeps it as JSON, the builders show it)."""

    server_id: str
    name: str
    outcome: Outcome
    job_id: str | None = None
    error_code: str | None = None
    fail_reason: str | None = None


@dataclass(frozen=True, slots=True)
class RequestSummary:
    """Who asked for what: enough to write the thread root and the final report."""

    request_id: str
    user_id: str
    total: int
    soft: bool
    reason: str | None
    job_ids: tuple[str, ...] = ()
    approved_by: str | None = None
    break_glass: bool = False
    run_at: float | None = None  # a scheduled stop: when it was due
    late_by: float | None = None  # and how late it started


@dataclass(frozen=True, slots=True)
class ScheduleSummary:
    """A scheduled stop as its announcement shows it, before it runs."""

    request_id: str
    user_id: str
    names: tuple[str, ...]  # the servers, by name
    soft: bool
    reason: str | None
    run_at: float
    first_run_at: float  # as first announced (differs once postponed)
    state: str  # a RequestState value: scheduled, postponed, cancelled, missed, …
    changed_by: str | None = None  # who cancelled, postponed or rescheduled it last
    changed_at: float | None = None
    late_by: float | None = None  # missed: how late the bot was
    late_reason: str | None = None  # why it could not start at its time (None: the bot was away)
    approved_by: str | None = None

    @property
    def total(self) -> int:
        return len(self.names)


#: What the public root message says about a request, from sending to its outcome.
RootState = Literal["submitting", "running", "done", "partial", "failed", "timed_out", "uncertain"]
