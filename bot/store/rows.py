"""Immutable snapshots of stored rows, so nothing above the store touches SQLAlchemy.

A ``StopRecord`` is one request with its chunks, read together: each step of the life cycle
works from one, and the store's writes hand back the snapshot they made, so a step never reads
a row twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.lifecycle import ChunkState, RequestState
from bot.core.models import (
    Approval,
    Preview,
    RequestSummary,
    RootState,
    ScheduleSummary,
    ServerResult,
    Skipped,
    Target,
)
from bot.core.results import count_settled, final_state
from bot.store.codec import decode_results, decode_skipped, decode_targets


@dataclass(frozen=True, slots=True)
class RequestRow:
    id: str
    team_id: str
    channel_id: str
    user_id: str
    origin: str
    thread_ts: str | None
    response_url: str | None
    soft: bool
    reason: str | None
    targets: tuple[Target, ...]
    skipped: tuple[Skipped, ...]
    state: RequestState
    created_at: float
    expires_at: float
    confirmed_at: float | None
    root_ts: str | None
    submitted_at: float | None
    finished_at: float | None
    progress_done: int
    report_parts_posted: int
    root_unsure_at: float | None = None  # the root may have been posted then
    part_unsure_at: float | None = None  # report part report_parts_posted + 1 may have been
    rule: str | None = None  # the grant that let it in
    approval: Approval | None = None  # a second person must approve before anything stops
    break_glass: bool = False
    decided_by: str | None = None  # who approved or rejected (None: the policy did)
    decided_at: float | None = None
    decision_note: str | None = None
    acknowledged_by: str | None = None  # break glass: the approver who reviewed it
    run_at: float | None = None  # a scheduled stop: when it runs; None: at once
    first_run_at: float | None = None  # when it was first announced for
    tz: str | None = None  # the zone its time was read in
    changed_by: str | None = None  # who last cancelled, postponed or ran it now
    changed_at: float | None = None
    late_by: float | None = None  # how late a scheduled stop started
    late_reason: str | None = None  # why it could not start at its time (None: the bot was away)

    @property
    def scheduled(self) -> bool:
        return self.run_at is not None

    @property
    def names(self) -> dict[str, str]:
        return {t.id: t.name for t in self.targets}

    def schedule(self) -> ScheduleSummary:
        """What the announcement of a scheduled stop shows (``run_at`` must be set)."""
        assert self.run_at is not None
        return ScheduleSummary(
            request_id=self.id,
            user_id=self.user_id,
            names=tuple(t.name for t in self.targets),
            soft=self.soft,
            reason=self.reason,
            run_at=self.run_at,
            first_run_at=self.first_run_at or self.run_at,
            state=self.state.value,
            changed_by=self.changed_by,
            changed_at=self.changed_at,
            late_by=self.late_by,
            late_reason=self.late_reason,
            approved_by=self.decided_by if self.approval and not self.break_glass else None,
        )

    @staticmethod
    def from_mapping(m: Mapping[Any, Any]) -> RequestRow:
        return RequestRow(
            id=m["id"],
            team_id=m["team_id"],
            channel_id=m["channel_id"],
            user_id=m["user_id"],
            origin=m["origin"],
            thread_ts=m["thread_ts"],
            response_url=m["response_url"],
            soft=bool(m["soft"]),
            reason=m["reason"],
            targets=decode_targets(m["targets"]),
            skipped=decode_skipped(m["skipped"]),
            state=RequestState(m["state"]),
            created_at=m["created_at"],
            expires_at=m["expires_at"],
            confirmed_at=m["confirmed_at"],
            root_ts=m["root_ts"],
            submitted_at=m["submitted_at"],
            finished_at=m["finished_at"],
            progress_done=m["progress_done"],
            report_parts_posted=m["report_parts_posted"],
            root_unsure_at=m["root_unsure_at"],
            part_unsure_at=m["part_unsure_at"],
            rule=m["rule"],
            approval=Approval(m["approval_why"], tuple(m["approvers"] or ()))
            if m["approval_why"]
            else None,
            break_glass=bool(m["break_glass"]),
            decided_by=m["decided_by"],
            decided_at=m["decided_at"],
            decision_note=m["decision_note"],
            acknowledged_by=m["acknowledged_by"],
            run_at=m["run_at"],
            first_run_at=m["first_run_at"],
            tz=m["tz"],
            changed_by=m["changed_by"],
            changed_at=m["changed_at"],
            late_by=m["late_by"],
            late_reason=m["late_reason"],
        )


@dataclass(frozen=True, slots=True)
class ChunkRow:
    id: int
    request_id: str
    chunk_no: int
    server_ids: tuple[str, ...]
    state: ChunkState
    job_id: str | None
    job_status: str | None
    results: dict[str, ServerResult]
    error_code: str | None
    error_message: str | None
    poll_failures: int
    updated_at: float
    sent_at: float | None = None  # when the call went out (the claim)
    job_missing_polls: int = 0  # "job not found" answers in a row
    claimed_by: str | None = None  # the replica whose claim it is (SUBMITTING)
    lease_until: float | None = None  # until when that claim is live

    @staticmethod
    def from_mapping(m: Mapping[Any, Any], names: Mapping[str, str]) -> ChunkRow:
        return ChunkRow(
            id=m["id"],
            request_id=m["request_id"],
            chunk_no=m["chunk_no"],
            server_ids=tuple(m["server_ids"]),
            state=ChunkState(m["state"]),
            job_id=m["job_id"],
            job_status=m["job_status"],
            results=decode_results(m["verdicts"], names, m["job_id"]),
            error_code=m["error_code"],
            error_message=m["error_message"],
            poll_failures=m["poll_failures"],
            updated_at=m["updated_at"],
            sent_at=m["submitted_at"],
            job_missing_polls=m["job_missing_polls"],
            claimed_by=m["claimed_by"],
            lease_until=m["lease_until"],
        )


@dataclass(frozen=True, slots=True)
class StopRecord:
    """A request and its chunks (in order), as one step of the life cycle sees them."""

    request: RequestRow
    chunks: tuple[ChunkRow, ...]

    @property
    def id(self) -> str:
        return self.request.id

    def with_request(self, request: RequestRow) -> StopRecord:
        return dataclasses.replace(self, request=request)

    def with_chunk(self, chunk: ChunkRow) -> StopRecord:
        chunks = tuple(chunk if c.id == chunk.id else c for c in self.chunks)
        return dataclasses.replace(self, chunks=chunks)

    def in_state(self, state: ChunkState) -> tuple[ChunkRow, ...]:
        return tuple(c for c in self.chunks if c.state is state)

    @property
    def job_ids(self) -> tuple[str, ...]:
        return tuple(c.job_id for c in self.chunks if c.job_id)

    def results(self) -> list[ServerResult]:
        """Every server's result so far, chunk by chunk."""
        return [r for c in self.chunks for r in c.results.values()]

    def summary(self) -> RequestSummary:
        req = self.request
        return RequestSummary(
            request_id=req.id,
            user_id=req.user_id,
            total=len(req.targets),
            soft=req.soft,
            reason=req.reason,
            job_ids=self.job_ids,
            approved_by=req.decided_by if req.approval and not req.break_glass else None,
            break_glass=req.break_glass,
            run_at=req.run_at,
            late_by=req.late_by,
        )

    def progress(self) -> tuple[int, int]:
        """(servers settled, servers failed) across every chunk."""
        return count_settled(self.results())

    def outcome(self) -> RootState:
        uncertain = any(c.state is ChunkState.UNCERTAIN for c in self.chunks)
        return final_state(self.results(), any_uncertain=uncertain)


@dataclass(frozen=True, slots=True)
class NewRequest:
    """What the preview step stores; the row starts PREVIEWED."""

    preview: Preview
    team_id: str
    channel_id: str
    origin: str
    thread_ts: str | None
    response_url: str | None
    created_at: float
