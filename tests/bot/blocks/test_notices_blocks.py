"""Tests for short notices and error messages."""

from __future__ import annotations

import json

import pytest
from block_factories import HOSTILE, simulated
from blocks_limits import assert_no_injection, assert_within_slack_limits

from bot.blocks.notices import (
    already_handled_message,
    cancelled_message,
    checking_job_message,
    cloud_error_message,
    expired_message,
    looking_up_message,
    not_in_channel_message,
    not_yours_message,
    parse_error_message,
    submitted_message,
    timeout_message,
    uncertain_submit_message,
    unexpected_error_message,
)
from bot.bms.errors import CloudAuthError, CloudRejected, CloudThrottled, CloudUnavailable
from bot.core.parser import ParseError, parse_command
from bot.core.problems import Problem, ProblemKind


def _text(message) -> str:
    return json.dumps(message.blocks, ensure_ascii=False) + message.text


def _all_notices(as_simulator: bool):
    hostile = CloudRejected(HOSTILE * 20, code=HOSTILE, http_status=400, request_id=HOSTILE)
    hostile_problems = tuple(
        Problem(kind, HOSTILE * 20, count=10**9, limit=10**9, code_points=(HOSTILE,))
        for kind in ProblemKind
    )
    notices = [
        looking_up_message(3),
        looking_up_message(5000),
        submitted_message("req_1", "C2147483705", count=40),
        cancelled_message(),
        expired_message(600),
        not_yours_message("U2147483697"),
        already_handled_message("cancelled"),
        already_handled_message(HOSTILE),
        not_in_channel_message(),
        unexpected_error_message(HOSTILE),
        cloud_error_message(hostile, HOSTILE),
        uncertain_submit_message(1000, hostile),
        uncertain_submit_message(1000, HOSTILE * 50),
        parse_error_message(ParseError(hostile_problems)),
        timeout_message(["<!channel>" * 30] * 100, 1800),
        timeout_message([], 1800),
        checking_job_message(HOSTILE),
    ]
    return [simulated(m) for m in notices] if as_simulator else notices


@pytest.mark.parametrize("as_simulator", [False, True])
def test_all_notices_within_limits_and_safe(as_simulator):
    """Every notice fits, stays escaped, and shows the banner exactly when simulated."""
    for message in _all_notices(as_simulator):
        assert_within_slack_limits(message)
        assert_no_injection(message, allowed=("<@U2147483697>", "<#C2147483705>"))
        assert ("no real servers are affected" in _text(message)) is as_simulator


def test_looking_up():
    """The ack says how many servers are being looked up."""
    assert looking_up_message(3).text == "Looking up 3 servers…"
    assert looking_up_message(1).text == "Looking up 1 server…"


def test_submitted_links_the_channel():
    """The replaced preview points to the thread in the channel."""
    text = _text(submitted_message("req_1", "C2147483705"))
    assert "follow the thread in <#C2147483705>" in text
    assert "`req_1`" in text
    assert "<#" not in _text(submitted_message("req_1", "<!here>"))


def test_cancelled_and_expired_say_nothing_stopped():
    """Cancel and expiry both say nothing was stopped; expiry names the TTL."""
    assert "Nothing was stopped" in _text(cancelled_message())
    text = _text(expired_message(600))
    assert "expired after 10 minutes" in text
    assert "Nothing was stopped" in text


def test_not_yours_names_owner():
    """A stranger's click is told who owns the request."""
    assert "Only <@U2147483697> can confirm" in _text(not_yours_message("U2147483697"))


@pytest.mark.parametrize(
    ("state", "words"),
    [
        ("confirmed", "already confirmed"),
        ("submitted", "already confirmed"),
        ("cancelled", "already cancelled"),
        ("expired", "expired"),
        ("finished", "already finished"),
        ("weird", "already handled (weird)"),
    ],
)
def test_already_handled(state, words):
    """A repeated click says what already happened."""
    assert words in _text(already_handled_message(state))


def test_not_in_channel_says_how_to_fix():
    """The bot explains how to invite it and that nothing was stopped."""
    text = _text(not_in_channel_message())
    assert "/invite @bms-bot" in text
    assert "click Stop again" in text
    assert "Nothing was stopped" in text


def test_unexpected_error_has_reference():
    """The unexpected error gives the reference and says nothing was stopped unless told."""
    text = _text(unexpected_error_message("ab12cd34"))
    assert "reference `ab12cd34`" in text
    assert "Nothing was stopped unless the thread says so" in text


def test_cloud_error_shows_code_message_request_id_and_advice():
    """A cloud error shows Huawei's code, message, request id and what to do."""
    err = CloudAuthError(
        "Incorrect IAM authentication information",
        code="APIGW.0301",
        http_status=401,
        request_id="a1b2",
    )
    text = _text(cloud_error_message(err, "looking up 3 servers"))
    assert "while looking up 3 servers" in text
    assert "`APIGW.0301` Incorrect IAM authentication information (HTTP 401" in text
    assert "`a1b2`" in text
    assert "bms-bot check" in text


def test_cloud_error_on_stop_that_may_have_been_sent():
    """A maybe-sent stop failure says it may or may not have happened."""
    err = CloudUnavailable("read timeout", maybe_sent=True)
    text = _text(cloud_error_message(err, "stopping 3 servers", stopping=True))
    assert "may or may not have been accepted" in text
    assert "(no response)" in text


def test_throttled_advice():
    """Throttling says to wait."""
    text = _text(cloud_error_message(CloudThrottled("slow", retry_after=20), "listing servers"))
    assert "Wait 20 seconds" in text


def test_uncertain_submit():
    """An uncertain stop says so plainly and how to retry safely."""
    text = _text(uncertain_submit_message(1000, "ReadTimeout (no response)"))
    assert "1,000 servers" in text
    assert "may or may not have been accepted" in text
    assert "servers already stopping are skipped" in text
    assert "ReadTimeout" in text


def test_parse_error_lists_each_problem_and_usage():
    """Each problem is shown, with the usage line."""
    err = parse_command("stop web-01 --force")
    assert isinstance(err, ParseError)
    message = parse_error_message(err)
    text = _text(message)
    assert "`web-01` is not a server id" in text
    assert "`--force` is not an option" in text
    assert "Usage:" in text
    assert_within_slack_limits(message)


def test_parse_error_from_hostile_input_stays_safe():
    """Mentions and links typed as ids never render in the error."""
    err = parse_command("stop <!channel> &lt;!here&gt; <@U0ADMIN> <http://x|y> " + "z" * 50_000)
    assert isinstance(err, ParseError)
    message = parse_error_message(err)
    assert_within_slack_limits(message)
    assert_no_injection(message)


def test_parse_error_with_many_problems_is_bounded():
    """A ParseError carrying hundreds of long problems still fits."""
    problems = [Problem(ProblemKind.NOT_A_COMMAND, "p" * 2000) for _ in range(300)]
    problems += [Problem(ProblemKind.MORE_BAD_TOKENS, count=10**9)] * 10
    message = parse_error_message(ParseError(tuple(problems)))
    assert_within_slack_limits(message)
    assert "more problems" in _text(message)


def test_timeout_message():
    """The timeout says how long, that watching stopped, and how to check."""
    message = timeout_message(["2c9eb2c5544cbf61"], 1800)
    text = _text(message)
    assert "Still running after 30 minutes" in text
    assert "I stopped watching" in text
    assert "/bms status` `2c9eb2c5544cbf61`" in text
    assert "console" in text
    assert_within_slack_limits(message)


def test_timeout_many_hostile_jobs():
    """Many job ids, some hostile, stay bounded and escaped."""
    message = simulated(timeout_message(["<!channel>" * 30] * 100, 1800))
    assert_within_slack_limits(message)
    assert_no_injection(message)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (8, "8 seconds"),
        (0.5, "0.5 seconds"),
        (90, "1 minute 30 seconds"),
        (5400, "1 hour 30 minutes"),
    ],
)
def test_durations_in_notices_are_exact(seconds, words):
    """The timeout and expiry notices give the configured time exactly, in natural units."""
    assert f"Still running after {words}:" in _text(timeout_message(["j1"], seconds))
    assert f"expired after {words}." in _text(expired_message(seconds))
