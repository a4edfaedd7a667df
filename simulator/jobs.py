"""Batch power jobs and their per-server sub-jobs, rendered as ``GET /v1/{project}/jobs/{id}`` does.

A job is INIT until the simulator's timeline starts it, then RUNNING with one sub-job per server,
then SUCCESS when every sub-job succeeded, else FAIL. Whether Huawei ends a *partly* failed batch
as FAIL or SUCCESS is unconfirmed; FAIL is the stricter choice, so clients must read the sub-jobs
either way. The top-level ``error_code`` of a failed job is the first failed sub-job's code.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

BATCH_TYPE = "baremetalBatchOperate"
SINGLE_TYPE = "baremetalSingleOperate"


def new_job_id() -> str:
    """32 hex characters, like the job ids in Huawei's examples."""
    return uuid.uuid4().hex


def iso_ms(ts: float | None) -> str | None:
    """``2019-04-25T20:04:47.591Z``: ISO 8601 UTC with milliseconds, as the job API writes times."""
    if ts is None:
        return None
    when = datetime.fromtimestamp(ts, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


@dataclass(slots=True)
class SimSubJob:
    server_id: str
    begin: float
    job_id: str = field(default_factory=new_job_id)
    status: str = "RUNNING"
    end: float | None = None
    error_code: str | None = None
    fail_reason: str | None = None
    error_detail: str | None = None  # entities.errorcode_message: the specific reason

    @property
    def done(self) -> bool:
        return self.end is not None

    def finish(
        self,
        at: float,
        error_code: str | None = None,
        fail_reason: str | None = None,
        error_detail: str | None = None,
    ) -> None:
        self.end = at
        self.status = "FAIL" if error_code else "SUCCESS"
        self.error_code = error_code
        self.fail_reason = fail_reason if error_code else None
        self.error_detail = error_detail if error_code else None

    def to_json(self) -> dict[str, Any]:
        entities: dict[str, Any] = {"server_id": self.server_id}
        if self.error_detail is not None:
            entities["errorcode_message"] = self.error_detail
        return {
            "status": self.status,
            "entities": entities,
            "job_id": self.job_id,
            "job_type": SINGLE_TYPE,
            "begin_time": iso_ms(self.begin),
            "end_time": iso_ms(self.end),
            "error_code": self.error_code,
            "fail_reason": self.fail_reason,
        }


@dataclass(slots=True)
class SimJob:
    server_ids: tuple[str, ...]
    begin: float
    job_id: str = field(default_factory=new_job_id)
    status: str = "INIT"
    sub_jobs: list[SimSubJob] = field(default_factory=list)
    end: float | None = None
    error_code: str | None = None
    fail_reason: str | None = None

    def close_if_done(self, at: float) -> None:
        """End the job once every sub-job has ended: SUCCESS only if all of them succeeded."""
        if self.end is not None or not self.sub_jobs or not all(s.done for s in self.sub_jobs):
            return
        self.end = at
        failed = [s for s in self.sub_jobs if s.status == "FAIL"]
        if not failed:
            self.status = "SUCCESS"
            return
        self.status = "FAIL"
        self.error_code = failed[0].error_code
        self.fail_reason = (
            f"{len(failed)} of {len(self.sub_jobs)} servers failed; first: {failed[0].fail_reason}"
        )

    def to_json(self) -> dict[str, Any]:
        entities: dict[str, Any] = {}
        if self.sub_jobs:
            entities = {
                "sub_jobs_total": len(self.sub_jobs),
                "sub_jobs": [s.to_json() for s in self.sub_jobs],
            }
        return {
            "status": self.status,
            "entities": entities,
            "job_id": self.job_id,
            "job_type": BATCH_TYPE,
            "begin_time": iso_ms(self.begin),
            "end_time": iso_ms(self.end),
            "error_code": self.error_code,
            "fail_reason": self.fail_reason,
        }
