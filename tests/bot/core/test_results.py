"""Per-server results from job payloads, and what they add up to."""

from __future__ import annotations

from bot.bms.models import parse_job
from bot.core.models import Outcome, ServerResult
from bot.core.results import count_settled, final_state, results_from_job

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
    payload = job("RUNNING", [sub(A, "SUCCESS"), sub(B, "RUNNING")])
    v = results_from_job([A, B, C], parse_job(payload), {}, "j1")
    assert [v[x].outcome for x in (A, B, C)] == [Outcome.STOPPED, Outcome.PENDING, Outcome.PENDING]
    assert count_settled(v.values()) == (1, 0)


def test_partial_failure_reported_per_server() -> None:
    """A failed sub-job keeps its own code and reason."""
    payload = job("FAIL", [sub(A, "SUCCESS"), sub(B, "FAIL", "BMS.0039", "already stopped")])
    v = results_from_job([A, B], parse_job(payload), {}, "j1")
    assert v[B].outcome is Outcome.FAILED
    assert (v[B].error_code, v[B].fail_reason) == ("BMS.0039", "already stopped")
    assert count_settled(v.values()) == (2, 1)


def test_failed_job_without_sub_jobs_fails_everyone() -> None:
    """A job that failed before creating sub-jobs fails every server with its reason."""
    payload = {
        "status": "FAIL",
        "job_id": "j",
        "entities": {},
        "error_code": "BMS.9999",
        "fail_reason": "boom",
    }
    v = results_from_job([A, B], parse_job(payload), {}, "j1")
    assert all(x.outcome is Outcome.FAILED and x.error_code == "BMS.9999" for x in v.values())


def test_successful_job_silent_about_a_server_is_unknown() -> None:
    """A SUCCESS job that never mentions a server leaves it unknown, not stopped."""
    v = results_from_job([A, B], parse_job(job("SUCCESS", [sub(A, "SUCCESS")])), {}, "j1")
    assert v[B].outcome is Outcome.UNKNOWN


def test_init_job_with_empty_entities() -> None:
    """An INIT job with no entities yet keeps every server pending."""
    v = results_from_job(
        [A], parse_job({"status": "INIT", "job_id": "j", "entities": {}}), {}, "j1"
    )
    assert v[A].outcome is Outcome.PENDING


def test_results_carry_names_and_the_batch_job() -> None:
    """Each result has the server's name and the batch job it belongs to."""
    payload = job("RUNNING", [sub(A, "SUCCESS")])
    v = results_from_job([A, B], parse_job(payload), {A: "web-1"}, "j1")
    assert (v[A].name, v[A].job_id) == ("web-1", "j1")
    assert (v[B].name, v[B].job_id, v[B].outcome) == ("", "j1", Outcome.PENDING)


def test_final_state_from_outcomes() -> None:
    """All stopped is done, none stopped failed, some partial; any uncertain call wins."""
    stopped = ServerResult(A, "", Outcome.STOPPED)
    failed = ServerResult(B, "", Outcome.FAILED)
    assert final_state([stopped], any_uncertain=False) == "done"
    assert final_state([failed], any_uncertain=False) == "failed"
    assert final_state([stopped, failed], any_uncertain=False) == "partial"
    assert final_state([stopped], any_uncertain=True) == "uncertain"


def test_the_specific_reason_in_the_entities_is_kept() -> None:
    """A sub-job's entities.errorcode_message is shown, alone or beside its fail_reason."""
    only = sub(A, "FAIL", "BMS.0037", None)
    only["entities"]["errorcode_message"] = "the server is being rebooted"
    both = sub(B, "FAIL", "BMS.0037", "Failed to stop")
    both["entities"]["errorcode_message"] = "the server is being rebooted"
    v = results_from_job([A, B], parse_job(job("FAIL", [only, both])), {}, "j1")
    assert v[A].fail_reason == "the server is being rebooted"
    assert v[B].fail_reason == "Failed to stop (the server is being rebooted)"
