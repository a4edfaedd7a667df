"""Immutable snapshots of stored rows, so nothing above the store touches SQLAlchemy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.lifecycle import ChunkState, RequestState
from bot.core.models import Preview, Skipped, SkipReason, Target
from bot.core.results import Verdict, decode


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

    @property
    def names(self) -> dict[str, str]:
        return {t.id: t.name for t in self.targets}

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
            targets=tuple(Target(*t) for t in m["targets"]),
            skipped=tuple(Skipped(s[0], SkipReason(s[1]), s[2], s[3]) for s in m["skipped"]),
            state=RequestState(m["state"]),
            created_at=m["created_at"],
            expires_at=m["expires_at"],
            confirmed_at=m["confirmed_at"],
            root_ts=m["root_ts"],
            submitted_at=m["submitted_at"],
            finished_at=m["finished_at"],
            progress_done=m["progress_done"],
            report_parts_posted=m["report_parts_posted"],
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
    verdicts: dict[str, Verdict]
    error_code: str | None
    error_message: str | None
    poll_failures: int
    updated_at: float

    @staticmethod
    def from_mapping(m: Mapping[Any, Any]) -> ChunkRow:
        return ChunkRow(
            id=m["id"],
            request_id=m["request_id"],
            chunk_no=m["chunk_no"],
            server_ids=tuple(m["server_ids"]),
            state=ChunkState(m["state"]),
            job_id=m["job_id"],
            job_status=m["job_status"],
            verdicts=decode(m["verdicts"]),
            error_code=m["error_code"],
            error_message=m["error_message"],
            poll_failures=m["poll_failures"],
            updated_at=m["updated_at"],
        )


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
