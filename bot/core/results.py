"""Per-server outcomes derived from a BMS job, always from the sub-jobs, and what they add up to."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from bot.bms.models import Job, SubJob
from bot.core.models import Outcome, RootState, ServerResult

_SUB_JOB_OUTCOME = {"SUCCESS": Outcome.STOPPED, "FAIL": Outcome.FAILED}


def reason_of(sub: SubJob) -> str | None:
    """Why a sub-job failed: its ``fail_reason`` and the specific reason Huawei may give in
    ``entities.errorcode_message``, both when they differ."""
    said = [r.strip() for r in (sub.fail_reason, sub.error_detail) if r and r.strip()]
    if len(said) == 2 and said[0] != said[1]:
        return f"{said[0]} ({said[1]})"
    return said[0] if said else None


def sub_job_result(sub: SubJob, names: Mapping[str, str]) -> ServerResult:
    """What one sub-job says about its server (a sub-job still working is pending)."""
    server_id = sub.server_id or f"(sub-job {sub.job_id or '?'})"
    return ServerResult(
        server_id=server_id,
        name=names.get(sub.server_id or "", ""),
        outcome=_SUB_JOB_OUTCOME.get(sub.status, Outcome.PENDING),
        job_id=sub.job_id,
        error_code=sub.error_code,
        fail_reason=reason_of(sub),
    )


def results_from_job(
    server_ids: Sequence[str], job: Job, names: Mapping[str, str], job_id: str | None
) -> dict[str, ServerResult]:
    """Every server of a chunk, in its order, filed under the batch ``job_id`` the bot polls.

    Servers the job never mentions stay pending while it runs; once it has ended they inherit a
    FAIL's top-level reason, or are unknown (never assumed stopped).
    """
    said = {sub.server_id: sub for sub in job.sub_jobs if sub.server_id is not None}
    results: dict[str, ServerResult] = {}
    for server_id in server_ids:
        sub = said.get(server_id)
        if sub is not None:
            result = dataclasses.replace(sub_job_result(sub, names), job_id=job_id)
        elif not job.is_terminal:
            result = _result(server_id, names, Outcome.PENDING, job_id)
        elif job.status == "FAIL":
            result = _result(
                server_id, names, Outcome.FAILED, job_id, job.error_code, job.fail_reason
            )
        else:
            result = _result(server_id, names, Outcome.UNKNOWN, job_id)
        results[server_id] = result
    return results


def _result(  # noqa: PLR0917 - the fields of one result, in their order
    server_id: str,
    names: Mapping[str, str],
    outcome: Outcome,
    job_id: str | None,
    code: str | None = None,
    reason: str | None = None,
) -> ServerResult:
    return ServerResult(server_id, names.get(server_id, ""), outcome, job_id, code, reason)


def uniform_results(
    server_ids: Sequence[str],
    names: Mapping[str, str],
    outcome: Outcome,
    code: str | None,
    reason: str | None,
) -> dict[str, ServerResult]:
    """The same result for a whole chunk: a refused call or one whose fate is unknown."""
    return {sid: _result(sid, names, outcome, None, code, reason) for sid in server_ids}


def count_settled(results: Iterable[ServerResult]) -> tuple[int, int]:
    """(finished servers, failed servers) for progress reporting."""
    done = failed = 0
    for result in results:
        done += result.outcome is not Outcome.PENDING
        failed += result.outcome is Outcome.FAILED
    return done, failed


def final_state(results: Iterable[ServerResult], *, any_uncertain: bool) -> RootState:
    """What the root says once every call has settled: done, partly failed, failed, uncertain."""
    if any_uncertain:
        return "uncertain"
    outcomes = [r.outcome for r in results]
    stopped = outcomes.count(Outcome.STOPPED)
    if stopped == len(outcomes):
        return "done"
    return "failed" if stopped == 0 else "partial"
