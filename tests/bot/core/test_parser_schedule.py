"""Tests for the scheduling parts of the /bms parser: `stop … at/in`, `schedule`, `cancel`,
`postpone`, and properties that neither the parser nor the time grammar ever raises."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.parser import (
    CancelCommand,
    ParseError,
    PostponeCommand,
    ScheduleCommand,
    StopCommand,
    parse_command,
    strip_mention,
)
from bot.core.problems import Problem, ProblemKind
from bot.core.when import After, At, parse_when, resolve
from tests.support.parsing import A, B, error, stop

K = ProblemKind
REQ = "req_0123456789ab"
# Derandomized so every run sees the same cases; nothing written under the repository.
PROPERTY = settings(max_examples=300, database=None, deadline=None, derandomize=True)


# stop … at / in


@pytest.mark.parametrize(
    ("tail", "when"),
    [
        ("at 22:00", At("22:00", "today", time(22, 0))),
        ("at tomorrow 07:30", At("tomorrow 07:30", "tomorrow", time(7, 30))),
        ("at fri 22:00", At("fri 22:00", "fri", time(22, 0))),
        ("at Friday 22:00", At("Friday 22:00", "fri", time(22, 0))),
        ("at 2026-12-24 18:00", At("2026-12-24 18:00", "2026-12-24", time(18, 0))),
        (
            "at 22:00 Europe/Berlin",
            At("22:00 Europe/Berlin", "today", time(22, 0), "Europe/Berlin"),
        ),
        ("AT 22:00", At("22:00", "today", time(22, 0))),
        ("at `22:00`", At("22:00", "today", time(22, 0))),
        ("in 2h", After(7200)),
        ("in 1h30m", After(5400)),
        ("IN 90s", After(90)),
    ],
)
def test_stop_at_or_in_is_scheduled(tail: str, when: At | After) -> None:
    """`at <time>` and `in <duration>` after the ids set the stop's `when`."""
    assert parse_command(f"stop {A} {tail}") == StopCommand(
        (A,), soft=False, reason=None, when=when
    )


def test_stop_at_iso_with_offset_is_an_instant() -> None:
    """`at 2026-12-24T18:00+01:00` carries its UTC instant."""
    when = stop(f"stop {A} at 2026-12-24T18:00+01:00").when
    assert isinstance(when, At)
    assert when.instant == datetime(2026, 12, 24, 17, 0, tzinfo=UTC)


def test_stop_without_at_or_in_is_now() -> None:
    """A stop with neither keyword is immediate: `when` is None."""
    assert stop(f"stop {A}").when is None


def test_several_ids_before_the_time() -> None:
    """All the ids before `at` are kept, and the time after it."""
    command = stop(f"stop {A}, {B} at 22:00")
    assert command.server_ids == (A, B)
    assert command.when == At("22:00", "today", time(22, 0))


@pytest.mark.parametrize(
    "tail",
    ["at 22:00 in 2h", "in 2h at 22:00", "at 22:00 at 23:00", "in 2h in 3h", "at in 2h"],
)
def test_at_and_in_together_or_twice(tail: str) -> None:
    """`at` and `in` together, or either twice, is AT_AND_IN."""
    assert error(f"stop {A} {tail}").problems == (Problem(K.AT_AND_IN),)


@pytest.mark.parametrize("keyword", ["at", "in"])
def test_keyword_without_time(keyword: str) -> None:
    """`at` or `in` with nothing after it is WHEN_MISSING, naming the keyword."""
    assert error(f"stop {A} {keyword}").problems == (Problem(K.WHEN_MISSING, keyword),)


def test_keyword_without_time_before_a_reason() -> None:
    """`at reason: …` has no time: the reason does not become one."""
    assert error(f"stop {A} at reason: late").problems == (Problem(K.WHEN_MISSING, "at"),)


@pytest.mark.parametrize(
    ("tail", "problem"),
    [
        ("at 25:00", Problem(K.BAD_TIME, "25:00")),
        ("at fri", Problem(K.BAD_TIME, "fri")),
        ("at 22:00 tonight", Problem(K.BAD_TIME, "22:00 tonight")),
        ("in 2x", Problem(K.BAD_DURATION, "2x")),
        ("in 30m 2h", Problem(K.BAD_DURATION, "30m 2h")),
    ],
)
def test_unreadable_time_is_its_problem(tail: str, problem: Problem) -> None:
    """An unreadable time or duration after the keyword is the time grammar's problem."""
    assert error(f"stop {A} {tail}").problems == (problem,)


def test_a_time_problem_comes_with_the_other_problems() -> None:
    """A bad time is reported after the other problems, not instead of them."""
    assert error(f"stop {A} --soft --hard at 25:00").problems == (
        Problem(K.SOFT_AND_HARD),
        Problem(K.BAD_TIME, "25:00"),
    )


def test_ids_after_the_time_are_time_words() -> None:
    """Words after `at` belong to the time, so an id there makes the time unreadable."""
    assert error(f"stop at 22:00 {A}").problems == (
        Problem(K.NO_SERVER_IDS),
        Problem(K.BAD_TIME, f"22:00 {A}"),
    )


def test_reason_after_the_time_keeps_both() -> None:
    """`reason:` after the time ends it; the time and the reason are both kept."""
    command = stop(f"stop {A} at fri 22:00 reason: patching tonight")
    assert command.when == At("fri 22:00", "fri", time(22, 0))
    assert command.reason == "patching tonight"


@pytest.mark.parametrize(
    "reason", ["back at 9", "in 2h we patch", "at 22:00 sharp", "stop at noon, in a hurry"]
)
def test_at_and_in_inside_the_reason_are_not_times(reason: str) -> None:
    """The words `at` and `in` inside a reason stay in the reason."""
    command = stop(f"stop {A} reason: {reason}")
    assert command.when is None
    assert command.reason == reason


def test_at_inside_the_reason_after_a_time() -> None:
    """With a time given, `at`/`in` inside the reason neither clash with it nor replace it."""
    command = stop(f"stop {A} in 2h reason: back at 9 in the morning")
    assert command.when == After(7200)
    assert command.reason == "back at 9 in the morning"


@pytest.mark.parametrize(
    "text",
    [
        f"stop {A} at 22:00 --soft",
        f"stop {A} --soft at 22:00",
        f"stop {A} at --soft 22:00",
        f"stop {A} at 22:00 \u2014soft",
    ],
)
def test_flags_may_come_after_the_time(text: str) -> None:
    """`--soft` is a flag wherever it stands, even after (or inside) the time."""
    command = stop(text)
    assert command.soft
    assert command.when == At("22:00", "today", time(22, 0))


def test_break_glass_after_the_time_with_reason() -> None:
    """`--break-glass` after the time still needs and takes the reason."""
    command = stop(f"stop {A} in 30m --break-glass reason: outage")
    assert command == StopCommand(
        (A,), soft=False, reason="outage", break_glass=True, when=After(1800)
    )


def test_bad_option_after_the_time_is_named() -> None:
    """An unknown option after the time is BAD_OPTION; the time itself is fine."""
    assert error(f"stop {A} at 22:00 --force").problems == (Problem(K.BAD_OPTION, "--force"),)


@pytest.mark.parametrize(
    "mention", ["<@U123ABC>", "<@U123ABC|bms-bot>", "  <@W123ABC>  ", "<@U123ABC> /bms"]
)
def test_a_mention_then_a_scheduled_stop(mention: str) -> None:
    """`@bms-bot stop … at …` parses once the leading mention is stripped."""
    command = stop(strip_mention(f"{mention} stop {A} at fri 22:00 reason: window"))
    assert command == StopCommand(
        (A,), soft=False, reason="window", when=At("fri 22:00", "fri", time(22, 0))
    )


def test_slack_escaped_text_with_a_time() -> None:
    """Slack's `&amp;` in the reason is undone, and the time still reads."""
    command = stop(f"stop {A} in 1d reason: db &amp; cache")
    assert command.when == After(86400)
    assert command.reason == "db & cache"


# schedule


@pytest.mark.parametrize(
    "text", ["schedule", "schedules", "scheduled", "SCHEDULE", "  Schedules  ", "/bms schedule"]
)
def test_schedule_lists(text: str) -> None:
    """`schedule` (and `schedules`, in any case) is the schedule listing."""
    assert parse_command(text) == ScheduleCommand()


def test_schedule_after_a_mention() -> None:
    """`@bms-bot schedule` is the listing too."""
    assert parse_command(strip_mention("<@U123ABC> schedule")) == ScheduleCommand()


@pytest.mark.parametrize(
    ("text", "extra", "verb"),
    [
        ("schedule foo", "foo", "schedule"),
        ("schedules all of them please", "all of them", "schedules"),
        ("SCHEDULE `x`", "x", "schedule"),
    ],
)
def test_schedule_with_extra_words(text: str, extra: str, verb: str) -> None:
    """Words after `schedule` are EXTRA_WORDS, naming up to three of them and the verb."""
    assert error(text).problems == (Problem(K.EXTRA_WORDS, extra, example=verb),)


# cancel


@pytest.mark.parametrize(
    "text",
    [
        f"cancel {REQ}",
        f"CANCEL {REQ.upper()}",
        f"cancel `{REQ}`",
        "cancel Req_0123456789AB",
        f"/bms cancel {REQ}",
        f"cancel '{REQ}'",
    ],
)
def test_cancel(text: str) -> None:
    """`cancel <id>` takes the id in any case, unwrapped, lower-cased."""
    assert parse_command(text) == CancelCommand(REQ)


def test_cancel_after_a_mention() -> None:
    """`@bms-bot cancel <id>` is the same command."""
    assert parse_command(strip_mention(f"<@U123ABC> cancel {REQ}")) == CancelCommand(REQ)


@pytest.mark.parametrize("text", ["cancel", "cancel   ", "cancel ``"])
def test_cancel_needs_an_id(text: str) -> None:
    """`cancel` with nothing (or only wrappers) after it is NEEDS_REQUEST_ID, naming the verb."""
    assert error(text).problems == (Problem(K.NEEDS_REQUEST_ID, "cancel"),)


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("cancel foo", "foo"),
        ("cancel req_0123456789a", "req_0123456789a"),
        ("cancel req_0123456789abc", "req_0123456789abc"),
        ("cancel req_0123456789ag", "req_0123456789ag"),
        (f"cancel {A}", A),
        ("cancel 0123456789ab", "0123456789ab"),
    ],
)
def test_cancel_with_something_else(text: str, token: str) -> None:
    """Anything that is not `req_` and twelve hex digits is NOT_A_REQUEST_ID, as typed."""
    assert error(text).problems == (Problem(K.NOT_A_REQUEST_ID, token),)


def test_cancel_with_extra_words() -> None:
    """Words after the id are EXTRA_WORDS."""
    assert error(f"cancel {REQ} now please").problems == (
        Problem(K.EXTRA_WORDS, "now please", example="cancel <id>"),
    )


# postpone


@pytest.mark.parametrize(
    ("tail", "when"),
    [
        ("2h", After(7200)),
        ("90s", After(90)),
        ("1h30m", After(5400)),
        ("by 2h", After(7200)),
        ("to fri 22:00", At("fri 22:00", "fri", time(22, 0))),
        ("fri 22:00", At("fri 22:00", "fri", time(22, 0))),
        ("at 22:00", At("22:00", "today", time(22, 0))),
        ("until tomorrow 07:30", At("tomorrow 07:30", "tomorrow", time(7, 30))),
        ("22:00", At("22:00", "today", time(22, 0))),
        ("To 2026-12-24 18:00", At("2026-12-24 18:00", "2026-12-24", time(18, 0))),
    ],
)
def test_postpone(tail: str, when: At | After) -> None:
    """`postpone <id>` takes a duration (later by) or a time, with an optional filler word."""
    assert parse_command(f"postpone {REQ} {tail}") == PostponeCommand(REQ, when)


def test_postpone_by_two_hours_is_7200_seconds() -> None:
    """`postpone <id> 2h` moves it later by exactly 7200 seconds."""
    command = parse_command(f"postpone {REQ.upper()} 2h")
    assert command == PostponeCommand(REQ, After(7200.0))


def test_postpone_after_a_mention() -> None:
    """`@bms-bot postpone <id> 2h` is the same command."""
    command = parse_command(strip_mention(f"<@U123ABC> postpone `{REQ}` 2h"))
    assert command == PostponeCommand(REQ, After(7200))


@pytest.mark.parametrize("text", [f"postpone {REQ}", f"postpone {REQ} to", f"postpone {REQ} at"])
def test_postpone_needs_a_time(text: str) -> None:
    """`postpone <id>` with no time (or only a filler) is POSTPONE_NEEDS_TIME."""
    assert error(text).problems == (Problem(K.POSTPONE_NEEDS_TIME),)


def test_postpone_needs_an_id() -> None:
    """`postpone` alone is NEEDS_REQUEST_ID, naming the verb."""
    assert error("postpone").problems == (Problem(K.NEEDS_REQUEST_ID, "postpone"),)


def test_postpone_a_non_id() -> None:
    """`postpone foo 2h` is NOT_A_REQUEST_ID."""
    assert error("postpone foo 2h").problems == (Problem(K.NOT_A_REQUEST_ID, "foo"),)


@pytest.mark.parametrize(
    ("tail", "token"),
    [("25:00", "25:00"), ("2x", "2x"), ("to fri", "fri"), ("soon please", "soon please")],
)
def test_postpone_to_an_unreadable_time(tail: str, token: str) -> None:
    """An unreadable new time is BAD_TIME, as typed (without the filler)."""
    assert error(f"postpone {REQ} {tail}").problems == (Problem(K.BAD_TIME, token),)


# Properties: never raises


SAFE_WORDS = st.sampled_from(
    [
        "at",
        "in",
        "22:00",
        "9:05",
        "25:00",
        "22:60",
        "today",
        "tomorrow",
        "fri",
        "Friday",
        "2026-12-24",
        "2026-02-30",
        "2026-12-24T18:00",
        "2026-12-24T18:00+01:00",
        "2026-12-24T18:00Z",
        "UTC",
        "Z",
        "Europe/Berlin",
        "America/New_York",
        "Mars/Olympus",
        "2h",
        "1h30m",
        "0s",
        "--soft",
        "reason:",
        "`",
        ",",
    ]
)
WORDS = st.lists(SAFE_WORDS | st.text(max_size=12), max_size=5)


@PROPERTY
@given(st.text(max_size=200))
def test_stop_at_anything_never_raises(tail: str) -> None:
    """`stop <uuid> at <any text>` is a command or a parse error, never an exception."""
    assert isinstance(parse_command(f"stop {A} at {tail}"), StopCommand | ParseError)


@PROPERTY
@given(st.lists(SAFE_WORDS, max_size=6).map(" ".join))
def test_stop_at_grammar_salad_never_raises(tail: str) -> None:
    """`stop <uuid> at` followed by any mix of time-like words never raises."""
    assert isinstance(parse_command(f"stop {A} at {tail}"), StopCommand | ParseError)


@PROPERTY
@given(st.sampled_from(["postpone", "cancel"]), st.text(max_size=100))
def test_postpone_and_cancel_never_raise(verb: str, tail: str) -> None:
    """`postpone <id> <any text>` and `cancel <any text>` never raise."""
    assert isinstance(
        parse_command(f"{verb} {REQ} {tail}"), PostponeCommand | CancelCommand | ParseError
    )


@PROPERTY
@given(st.sampled_from(["at", "in"]), WORDS)
def test_parse_when_never_raises(keyword: str, words: list[str]) -> None:
    """`parse_when` on any words gives a time or a problem; `at` problems are BAD_TIME as typed."""
    found = parse_when(keyword, words)
    assert isinstance(found, At | After | Problem)
    if keyword == "at" and words and isinstance(found, Problem):
        assert found == Problem(K.BAD_TIME, " ".join(words))


@PROPERTY
@given(WORDS, st.sampled_from([None, "UTC", "Europe/Berlin", "America/New_York", "Mars/Olympus"]))
def test_whatever_reads_resolves_without_raising(words: list[str], zone: str | None) -> None:
    """Any time `parse_when` reads resolves to an aware UTC instant or a problem."""
    when = parse_when("at", words)
    if isinstance(when, Problem):
        return
    found = resolve(when, zone, datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    assert isinstance(found, Problem) or found.tzinfo is UTC
