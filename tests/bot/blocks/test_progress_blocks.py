"""Tests for the thread root and the jobs-submitted reply."""

from __future__ import annotations

import json

import pytest
from block_factories import HOSTILE, LONG_REASON, USER, simulated, summary
from blocks_limits import assert_no_injection, assert_within_slack_limits

from bot.blocks.progress import jobs_submitted_message, root_message
from bot.core.models import RequestSummary
from bot.ids import BlockId

STATES = ("submitting", "running", "done", "partial", "failed", "timed_out", "uncertain")
MENTION = f"<@{USER}>"


def _text(message) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("total", [1, 50, 1000, 5000])
@pytest.mark.parametrize("reason", [None, LONG_REASON, HOSTILE])
def test_root_within_limits(state, total, reason):
    """Every state, size and reason fits, and only the requester is mentioned."""
    message = root_message(summary(total, reason=reason), total // 2, total // 10, state)
    assert_within_slack_limits(message)
    assert_no_injection(message, allowed=(MENTION,))


def test_root_says_who_what_and_progress():
    """The root names the requester, count, type, reason and progress with a bar."""
    message = root_message(summary(40), 12, 2, "running")
    text = _text(message)
    assert f"{MENTION} is stopping *40 servers* (HARD)" in text
    assert "Reason: disk alarm" in text
    assert "12/40 done · 2 failed" in text
    assert "▰" in text
    assert "▱" in text
    assert message.text.startswith(MENTION)
    progress = [b for b in message.blocks if b.get("block_id") == BlockId.ROOT_PROGRESS]
    assert len(progress) == 1


@pytest.mark.parametrize(
    ("state", "words"),
    [
        ("submitting", "Sending the stop"),
        ("done", "all 40 servers stopped"),
        ("partial", "38 stopped, 2 failed"),
        ("failed", "no server was stopped"),
        ("timed_out", "stopped watching"),
        ("uncertain", "may or may not have been accepted"),
    ],
)
def test_root_final_states(state, words):
    """Each state reads as what happened."""
    assert words in _text(root_message(summary(40), 40, 2, state))


def test_root_soft_wording():
    """A SOFT request says it is performed as HARD."""
    assert "SOFT requested, performed as HARD" in _text(
        root_message(summary(3, soft=True), 0, 0, "running")
    )


def test_root_never_mentions_a_forged_user():
    """A user id that is not a Slack id is not turned into a mention."""
    forged = RequestSummary("r", "!channel", 1, False, None)
    assert_no_injection(root_message(forged, 0, 0, "running"))


def test_root_progress_is_clamped():
    """Progress beyond the total (or negative) never overflows the bar."""
    text = _text(root_message(summary(10), 99, 0, "running"))
    assert "10/10 done" in text
    assert "0/10 done" in _text(root_message(summary(10), -5, 0, "running"))


def test_root_simulated_banner():
    """A simulated root says so."""
    assert "no real servers are affected" in _text(
        simulated(root_message(summary(1), 0, 0, "running"))
    )


def test_jobs_submitted_lists_jobs_and_counts():
    """Each job is listed with its server count, and the status command hinted."""
    message = jobs_submitted_message(["job-a", "job-b"], [1000, 234])
    text = _text(message)
    assert "`job-a`: 1,000 servers" in text
    assert "`job-b`: 234 servers" in text
    assert "/bms status` `job-a`" in text
    assert_within_slack_limits(message)


def test_jobs_submitted_at_scale_and_hostile():
    """Hundreds of jobs with hostile ids still fit and stay escaped."""
    message = jobs_submitted_message([f"<!here>{i}" * 10 for i in range(300)], [1000] * 300)
    assert_within_slack_limits(message)
    assert_no_injection(message)
    assert "more" in _text(message)


def test_jobs_submitted_mismatched_lengths():
    """Lists of different lengths never raise."""
    assert_within_slack_limits(jobs_submitted_message(["a"], []))
    assert_within_slack_limits(jobs_submitted_message([], [5]))
    assert_no_injection(jobs_submitted_message([], [5]))


@pytest.mark.parametrize(
    ("state", "done", "failed", "said"),
    [
        ("failed", 3, 3, "Failed: no server was stopped"),
        ("uncertain", 3, 0, "may or may not have been accepted"),
        ("partial", 3, 1, "2 stopped, 1 failed"),
        ("done", 3, 0, "Done: all 3 servers stopped"),
        ("timed_out", 1, 0, "Still running when I stopped watching"),
        ("running", 1, 0, "1/3 done"),
    ],
)
def test_root_fallback_says_the_same_outcome_as_the_blocks(state, done, failed, said):
    """Notifications and screen readers get the outcome, never "3/3 done" for a failed stop."""
    message = root_message(summary(3), done, failed, state)
    assert said in message.text
    assert said in _text(message)
    if state in ("failed", "uncertain"):
        assert "3/3 done" not in message.text
