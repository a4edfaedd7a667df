"""Per-server outcomes derived from a BMS job, always from the sub-jobs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.bms.models import Job
from bot.core.models import Outcome, ServerResult

_SUB_JOB_OUTCOME = {"SUCCESS": Outcome.STOPPED, "FAIL": Outcome.FAILED}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one server's sub-job says, stored per chunk between polls."""

    outcome: Outcome
    error_code: str | None = None
    fail_reason: str | None = None


def verdicts_from_job(server_ids: Sequence[str], job: Job) -> dict[str, Verdict]:
    """Map every server of the chunk to a verdict; servers the job never mentions stay pending
    while it runs, and once it has ended they inherit a FAIL's top-level reason or are unknown."""
    verdicts: dict[str, Verdict] = {}
    for sub in job.sub_jobs:
        if sub.server_id is None:
            continue
        outcome = _SUB_JOB_OUTCOME.get(sub.status, Outcome.PENDING)
        verdicts[sub.server_id] = Verdict(outcome, sub.error_code, sub.fail_reason)
    for server_id in server_ids:
        if server_id in verdicts:
            continue
        if not job.is_terminal:
            verdicts[server_id] = Verdict(Outcome.PENDING)
        elif job.status == "FAIL":
            verdicts[server_id] = Verdict(Outcome.FAILED, job.error_code, job.fail_reason)
        else:
            verdicts[server_id] = Verdict(Outcome.UNKNOWN)
    return {sid: verdicts[sid] for sid in server_ids}


def uniform_verdicts(
    server_ids: Sequence[str], outcome: Outcome, code: str | None, reason: str | None
) -> dict[str, Verdict]:
    """The same verdict for a whole chunk: a refused call or one whose fate is unknown."""
    return {sid: Verdict(outcome, code, reason) for sid in server_ids}


def count_settled(verdicts: Mapping[str, Verdict]) -> tuple[int, int]:
    """(finished servers, failed servers) for progress reporting."""
    done = sum(1 for v in verdicts.values() if v.outcome is not Outcome.PENDING)
    failed = sum(1 for v in verdicts.values() if v.outcome is Outcome.FAILED)
    return done, failed


def to_results(
    verdicts: Mapping[str, Verdict], names: Mapping[str, str], job_id: str | None
) -> list[ServerResult]:
    return [
        ServerResult(sid, names.get(sid, ""), v.outcome, job_id, v.error_code, v.fail_reason)
        for sid, v in verdicts.items()
    ]


def encode(verdicts: Mapping[str, Verdict]) -> dict[str, list[str | None]]:
    """JSON form for the store: ``{server_id: [outcome, code, reason]}``."""
    return {sid: [v.outcome.value, v.error_code, v.fail_reason] for sid, v in verdicts.items()}


def decode(raw: Mapping[str, list[str | None]] | None) -> dict[str, Verdict]:
    if not raw:
        return {}
    return {sid: Verdict(Outcome(row[0] or "unknown"), row[1], row[2]) for sid, row in raw.items()}
