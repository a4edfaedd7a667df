"""Tests for the /bms command parser, including hostile input."""

from __future__ import annotations

import uuid

import pytest
from parse_helpers import A, B, C, error, stop

from bot.core.parser import (
    MAX_IDS,
    USAGE,
    HelpCommand,
    StatusCommand,
    StopCommand,
    parse_command,
    strip_mention,
)


def test_usage_line_is_the_documented_one():
    """The usage constant is exactly the documented line."""
    assert USAGE == (
        "/bms stop <server-id> [<server-id> …] [--soft] [reason: <text>]"
        " · /bms status <job-id> · /bms help"
    )


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "help", "HELP", "Help me please"])
def test_empty_or_help_is_help(text):
    """Empty text and any form of `help` give the help command."""
    assert parse_command(text) == HelpCommand()


def test_stop_single_id():
    """A single UUID gives a HARD stop with no reason."""
    assert parse_command(f"stop {A}") == StopCommand((A,), soft=False, reason=None)


def test_subcommand_is_case_insensitive():
    """`STOP` and `Status` work like their lower-case forms."""
    assert stop(f"STOP {A}").server_ids == (A,)
    assert parse_command("Status abc") == StatusCommand("abc")


@pytest.mark.parametrize(
    "text",
    [
        f"stop {A} {B} {C}",
        f"stop {A},{B},{C}",
        f"stop {A}, {B} ,, {C}",
        f"stop\n{A}\n{B}\n\n{C}\n",
        f"stop {A};{B}; {C}",
        f"stop {A},\n {B}\t{C}",
    ],
)
def test_any_mix_of_separators(text):
    """Spaces, commas, semicolons and newlines separate ids in any mix."""
    assert stop(text).server_ids == (A, B, C)


def test_ids_are_lowercased_and_deduplicated_in_first_order():
    """Upper-case ids are normalised and duplicates keep their first position."""
    assert stop(f"stop {B.upper()} {A} {B} {A.upper()}").server_ids == (B, A)


@pytest.mark.parametrize(
    "token",
    [f"`{A}`", f"'{A}'", f'"{A}"', f"\u201c{A}\u201d", f"\u2018{A}\u2019", f"```{A}```", f"[{A}]"],
)
def test_wrapped_ids_are_accepted(token):
    """Backticks, straight or typographic quotes and brackets around an id are tolerated."""
    assert stop(f"stop {token}").server_ids == (A,)


def test_code_fence_block_is_accepted():
    """Ids pasted inside a multi-line code fence parse."""
    assert stop(f"stop ```\n{A}\n{B}\n```").server_ids == (A, B)


def test_python_list_paste_is_accepted():
    """A pasted list literal of ids parses."""
    assert stop(f"stop ['{A}', '{B}']").server_ids == (A, B)


@pytest.mark.parametrize("flag", ["--soft", "--SOFT", "\u2014soft", "\u2013soft"])
def test_soft_flag(flag):
    """`--soft` (any case, or with the dash macOS substitutes) asks for a SOFT stop."""
    assert stop(f"stop {A} {flag}").soft is True


def test_hard_flag_is_the_default():
    """`--hard` is accepted and means what no flag means."""
    assert stop(f"stop --hard {A}").soft is False


def test_soft_and_hard_together_is_an_error():
    """Asking for both stop types is refused."""
    assert any("--soft" in p and "--hard" in p for p in error(f"stop {A} --soft --hard").problems)


@pytest.mark.parametrize("option", ["--force", "-f", "--type=soft", "-"])
def test_unknown_option_names_the_token(option):
    """Anything else starting with a dash is named as an unknown option."""
    problems = error(f"stop {A} {option}").problems
    assert problems == (f"`{option}` is not an option (use `--soft` or `--hard`)",)


def test_reason_takes_the_rest_collapsed_and_trimmed():
    """`reason:` takes everything after it, newlines and runs of spaces collapsed."""
    command = stop(f"stop {A} --soft Reason:   disk\n\nfull  on {B}  ")
    assert command == StopCommand((A,), soft=True, reason=f"disk full on {B}")


def test_reason_glued_to_previous_token_is_not_a_reason():
    """`treason:` is an invalid token, not a reason marker."""
    problems = error(f"stop {A} treason:x").problems
    assert problems[0].startswith("`treason:x` is not a server id")


def test_reason_is_unescaped_from_slack_entities():
    """Slack's &amp; &lt; &gt; come back as the characters the user typed."""
    assert stop(f"stop {A} reason: a &amp; b &lt;!channel&gt;").reason == "a & b <!channel>"


def test_reason_of_500_chars_is_fine_and_501_is_not():
    """The reason limit is 500 characters after collapsing whitespace."""
    assert stop(f"stop {A} reason: {'x' * 500}").reason == "x" * 500
    problems = error(f"stop {A} reason: {'x' * 501}").problems
    assert problems == ("The reason is 501 characters; the limit is 500",)


def test_empty_reason_is_an_error():
    """`reason:` with nothing after it says so."""
    assert error(f"stop {A} reason:   ").problems == ("`reason:` needs some text after it",)


def test_stop_without_ids():
    """`stop` alone asks for at least one id."""
    assert error("stop").problems == ("`/bms stop` needs at least one server id",)


def test_reason_before_ids_hints_to_put_reason_last():
    """Ids swallowed by an early `reason:` get a hint."""
    assert "put `reason:` last" in error(f"stop reason: oops {A}").problems[0]


def test_bad_token_message_names_token_and_expected_form():
    """A non-UUID is named with the expected form."""
    assert error(f"stop web-01 {A}").problems == (
        f"`web-01` is not a server id (expected a UUID such as {A})",
    )


def test_up_to_five_bad_tokens_then_a_count():
    """Five bad tokens are named, the rest counted; repeated ones count once."""
    tokens = " ".join(f"bad{i}" for i in range(12))
    problems = error(f"stop {tokens} bad0 bad1").problems
    assert [p.split("`")[1] for p in problems[:5]] == ["bad0", "bad1", "bad2", "bad3", "bad4"]
    assert problems[5] == "…and 7 more that are not server ids"
    assert len(problems) == 6


def test_limit_of_ids():
    """5000 unique ids are fine; 5001 get a clear error; duplicates don't count."""
    many = [str(uuid.UUID(int=i + 1)) for i in range(MAX_IDS + 1)]
    assert len(stop("stop " + " ".join(many[:MAX_IDS] + many[:10])).server_ids) == MAX_IDS
    problems = error("stop " + " ".join(many)).problems
    assert problems == (
        "5,001 server ids is too many: the limit is 5,000 per request, "
        "so split them into several requests",
    )


def test_first_word_uuid_suggests_stop():
    """Starting with an id (forgetting `stop`) suggests the right form."""
    assert "Start with `stop`" in error(A).problems[0]


def test_unknown_subcommand_is_named():
    """An unknown first word is named and the commands listed."""
    assert error("start x").problems == (
        "`start` is not a command: use `stop`, `status` or `help`",
    )


def test_leading_slash_bms_is_ignored():
    """`@bms-bot /bms stop …` works like `@bms-bot stop …`."""
    assert stop(f"/bms stop {A}").server_ids == (A,)


def test_status_job_id():
    """`status` takes one opaque job id, unwrapped from backticks."""
    assert parse_command("status `2c9eb2c5544cbf6101544f0602af2b4f`") == StatusCommand(
        "2c9eb2c5544cbf6101544f0602af2b4f"
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("status", "needs a job id"),
        ("status a b", "exactly one job id"),
        ("status a_b", "is not a job id"),
        ("status " + "a" * 65, "is not a job id"),
        ("status <!here>", "is not a job id"),
    ],
)
def test_status_problems(text, fragment):
    """`status` with no id, several ids or a malformed one says which."""
    problems = error(text).problems
    assert fragment in problems[0]
    assert "<" not in problems[0]


def test_parse_error_carries_usage():
    """Every parse error carries the usage line."""
    assert error("nope").usage == USAGE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<@U0BOT> stop x", "stop x"),
        ("<@U0BOT|bms-bot>   stop x", "stop x"),
        ("  <@W0BOT> help", "help"),
        ("stop <@U0BOT>", "stop <@U0BOT>"),
        ("<@U0BOT>", ""),
        ("<!channel> stop", "<!channel> stop"),
    ],
)
def test_strip_mention(text, expected):
    """Only a leading user mention (with or without a label) is removed."""
    assert strip_mention(text) == expected


def test_app_mention_payload_text_parses():
    """The fixture's app_mention text parses after the mention is stripped."""
    assert stop(strip_mention(f"<@U0BOT> stop {A}")).server_ids == (A,)
