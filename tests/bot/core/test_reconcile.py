"""Judging a stop whose answer was lost from the servers' own states."""

from __future__ import annotations

from bot.bms.models import Server
from bot.core.models import Outcome
from bot.core.reconcile import NOT_ACCEPTED_CODE, NOT_STOPPED_CODE, Judgement, reconcile

A, B = "a-1", "b-2"
RUNNING = Server(A, "web-a", "ACTIVE")
STOPPED = Server(A, "web-a", "SHUTOFF")
STOPPING = Server(A, "web-a", "ACTIVE", "powering-off")


def judge(found: dict, waited: float = 0, job_known: bool = False, ids=(A,)):
    return reconcile(list(ids), found, {A: "web-a"}, waited=waited, window=60, job_known=job_known)


def test_a_stopped_server_means_the_stop_was_accepted() -> None:
    """SHUTOFF after the call: accepted, and that server is stopped, at once."""
    judged = judge({A: STOPPED})
    assert judged.judgement is Judgement.ACCEPTED
    assert judged.results[A].outcome is Outcome.STOPPED


def test_powering_off_waits_until_it_has_stopped() -> None:
    """A server still powering off keeps the judgement waiting, however long it takes."""
    assert judge({A: STOPPING}, waited=10_000).judgement is Judgement.WAITING


def test_nothing_changed_waits_for_the_window_then_was_not_accepted() -> None:
    """No change yet: wait; no change when the wait is over: never accepted, nothing stopped."""
    assert judge({A: RUNNING}, waited=59).judgement is Judgement.WAITING
    judged = judge({A: RUNNING}, waited=60)
    assert judged.judgement is Judgement.NOT_ACCEPTED
    assert judged.results[A].error_code == NOT_ACCEPTED_CODE


def test_one_stopped_one_not_is_accepted_after_the_window() -> None:
    """Some stopped, some not: accepted; the others did not stop (said per server)."""
    found = {A: STOPPED, B: Server(B, "web-b", "ACTIVE")}
    assert judge(found, waited=10, ids=(A, B)).judgement is Judgement.WAITING
    judged = judge(found, waited=60, ids=(A, B))
    assert judged.judgement is Judgement.ACCEPTED
    assert judged.results[B].error_code == NOT_STOPPED_CODE


def test_a_forgotten_job_was_accepted_whatever_the_servers_show() -> None:
    """With a job id known, unchanged servers did not stop, but the call was accepted."""
    judged = judge({A: RUNNING}, waited=60, job_known=True)
    assert judged.judgement is Judgement.ACCEPTED
    assert judged.results[A].outcome is Outcome.FAILED


def test_a_server_that_vanished_is_unknown() -> None:
    """A server no longer in the project after an accepted stop is unknown, not stopped."""
    judged = judge({}, waited=60, job_known=True)
    assert judged.results[A].outcome is Outcome.UNKNOWN
