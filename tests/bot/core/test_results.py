"""Per-server verdicts from job payloads."""

from __future__ import annotations

from bot.bms.models import parse_job
from bot.core.models import Outcome
from bot.core.results import count_settled, decode, encode, verdicts_from_job

A, B, C = "a-1", "b-2", "c-3"


def sub(server: str, status: str, code: str | None = None, reason: str | None = None) -> dict:
    return {
        "status": status,
        "entities": {"server_id": server},
        "job_id": "s" + server,
        "job_type": "baremetalSingleOperate",
        "error_code": code,
        "fail_reason": reason,
    }


def job(status: str, subs: list[dict], **top: str | None) -> dict:
    return {
        "status": status,
        "job_id": "j1",
        "entities": {"sub_jobs_total": len(subs), "sub_jobs": subs},
        **top,
    }


def test_running_job_mixes_done_and_pending() -> None:
    """While running, finished sub-jobs count and the rest are pending."""
    v = verdicts_from_job(
        [A, B, C], parse_job(job("RUNNING", [sub(A, "SUCCESS"), sub(B, "RUNNING")]))
    )
    assert [v[x].outcome for x in (A, B, C)] == [Outcome.STOPPED, Outcome.PENDING, Outcome.PENDING]
    assert count_settled(v) == (1, 0)


def test_partial_failure_reported_per_server() -> None:
    """A failed sub-job keeps its own code and reason."""
    payload = job("FAIL", [sub(A, "SUCCESS"), sub(B, "FAIL", "BMS.0039", "already stopped")])
    v = verdicts_from_job([A, B], parse_job(payload))
    assert v[B].outcome is Outcome.FAILED
    assert (v[B].error_code, v[B].fail_reason) == ("BMS.0039", "already stopped")
    assert count_settled(v) == (2, 1)


def test_failed_job_without_sub_jobs_fails_everyone() -> None:
    """A job that failed before creating sub-jobs fails every server with its reason."""
    payload = {
        "status": "FAIL",
        "job_id": "j",
        "entities": {},
        "error_code": "BMS.9999",
        "fail_reason": "boom",
    }
    v = verdicts_from_job([A, B], parse_job(payload))
    assert all(x.outcome is Outcome.FAILED and x.error_code == "BMS.9999" for x in v.values())


def test_successful_job_silent_about_a_server_is_unknown() -> None:
    """A SUCCESS job that never mentions a server leaves it unknown, not stopped."""
    v = verdicts_from_job([A, B], parse_job(job("SUCCESS", [sub(A, "SUCCESS")])))
    assert v[B].outcome is Outcome.UNKNOWN


def test_init_job_with_empty_entities() -> None:
    """An INIT job with no entities yet keeps every server pending."""
    v = verdicts_from_job([A], parse_job({"status": "INIT", "job_id": "j", "entities": {}}))
    assert v[A].outcome is Outcome.PENDING


def test_encode_decode_round_trip() -> None:
    """Verdicts survive the JSON form used by the store."""
    v = verdicts_from_job(
        [A, B], parse_job(job("FAIL", [sub(A, "SUCCESS"), sub(B, "FAIL", "X", "y")]))
    )
    assert decode(encode(v)) == v
