"""Typed views of the BMS API's server and job JSON, parsed leniently (null or absent fields)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_STOP_BATCH = 1000  # servers per os-stop call: Huawei answers BMS.0205 beyond
JOB_TERMINAL = frozenset({"SUCCESS", "FAIL"})
# A job id as Huawei makes them (a UUID, or 32 hex characters) and as safe in a URL path: the
# one definition, used by the command parser and the client alike.
_JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}", re.ASCII)


def is_job_id(value: str) -> bool:
    """Letters, digits and dashes, at most 64, starting with a letter or a digit."""
    return _JOB_ID.fullmatch(value) is not None


STOPPING_TASK_STATES = frozenset({"powering-off"})


@dataclass(frozen=True, slots=True)
class Server:
    id: str
    name: str
    status: str
    task_state: str | None = None
    power_state: int | None = None
    tags: tuple[str, ...] = ()

    @property
    def is_stopped(self) -> bool:
        """SHUTOFF with no task running (SHUTOFF + powering-on is being started: not stopped)."""
        return self.status == "SHUTOFF" and not self.task_state

    @property
    def is_stopping(self) -> bool:
        return self.task_state in STOPPING_TASK_STATES


@dataclass(frozen=True, slots=True)
class StopAccepted:
    """Huawei took a batch stop: its job, and the request id of the call (for the audit)."""

    job_id: str
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class SubJob:
    job_id: str | None
    server_id: str | None
    status: str
    error_code: str | None = None
    fail_reason: str | None = None
    error_detail: str | None = None  # entities.errorcode_message: the specific reason it failed


@dataclass(frozen=True, slots=True)
class Job:
    job_id: str
    status: str
    job_type: str | None = None
    sub_jobs: tuple[SubJob, ...] = ()
    sub_jobs_total: int | None = None
    error_code: str | None = None
    fail_reason: str | None = None
    begin_time: str | None = None
    end_time: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in JOB_TERMINAL


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def parse_server(raw: dict[str, Any]) -> Server:
    power = raw.get("OS-EXT-STS:power_state")
    tags = raw.get("tags") or ()
    return Server(
        id=str(raw["id"]),
        name=str(raw.get("name") or ""),
        status=str(raw.get("status") or "UNKNOWN"),
        task_state=_str(raw.get("OS-EXT-STS:task_state")) or None,
        power_state=power if isinstance(power, int) else None,
        tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
    )


def _parse_sub_job(raw: dict[str, Any]) -> SubJob:
    entities = raw.get("entities") or {}
    return SubJob(
        job_id=_str(raw.get("job_id")),
        server_id=_str(entities.get("server_id")) if isinstance(entities, dict) else None,
        status=str(raw.get("status") or "UNKNOWN"),
        error_code=_str(raw.get("error_code")),
        fail_reason=_str(raw.get("fail_reason")),
        error_detail=_str(entities.get("errorcode_message"))
        if isinstance(entities, dict)
        else None,
    )


def parse_job(raw: dict[str, Any]) -> Job:
    entities = raw.get("entities") or {}
    subs = entities.get("sub_jobs") if isinstance(entities, dict) else None
    total = entities.get("sub_jobs_total") if isinstance(entities, dict) else None
    return Job(
        job_id=str(raw.get("job_id") or ""),
        status=str(raw.get("status") or "UNKNOWN"),
        job_type=_str(raw.get("job_type")),
        sub_jobs=tuple(_parse_sub_job(s) for s in subs if isinstance(s, dict))
        if isinstance(subs, list)
        else (),
        sub_jobs_total=total if isinstance(total, int) else None,
        error_code=_str(raw.get("error_code")),
        fail_reason=_str(raw.get("fail_reason")),
        begin_time=_str(raw.get("begin_time")),
        end_time=_str(raw.get("end_time")),
    )
