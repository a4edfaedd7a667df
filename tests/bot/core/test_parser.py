"""Tests for the /bms command parser, including hostile input."""

from __future__ import annotations

import uuid

import pytest

from bot.bms.models import is_job_id
from bot.core.parser import (
    MAX_IDS,
    USAGE,
    HelpCommand,
    StatusCommand,
    StopCommand,
    is_invisible,
    parse_command,
    strip_mention,
    unescape,
)
from bot.core.problems import Problem, ProblemKind
from tests.support.parsing import A, B, C, error, stop

K = ProblemKind


def test_usage_line_is_the_documented_one():
    """The usage constant is exactly the documented line."""
    assert USAGE == (
        "/bms stop <server-id|tag:key=value> […] [--soft] [--break-glass]"
        " [at <time> | in <duration>] [reason: <text>] · /bms schedule · /bms cancel <id>"
        " · /bms postpone <id> <time>"
        " · /bms status <job-id> · /bms audit [n] · /bms help"
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


def test_reason_takes_the_rest_collapsed_and_trimmed():
    """`reason:` takes everything after it, newlines and runs of spaces collapsed."""
    command = stop(f"stop {A} --soft Reason:   disk\n\nfull  on {B}  ")
    assert command == StopCommand((A,), soft=True, reason=f"disk full on {B}")


def test_reason_is_unescaped_from_slack_entities():
    """Slack's &amp; &lt; &gt; come back as the characters the user typed."""
    assert stop(f"stop {A} reason: a &amp; b &lt;!channel&gt;").reason == "a & b <!channel>"


def test_leading_slash_bms_is_ignored():
    """`@bms-bot /bms stop …` works like `@bms-bot stop …`."""
    assert stop(f"/bms stop {A}").server_ids == (A,)


def test_status_job_id():
    """`status` takes one opaque job id, unwrapped from backticks."""
    assert parse_command("status `2c9eb2c5544cbf6101544f0602af2b4f`") == StatusCommand(
        "2c9eb2c5544cbf6101544f0602af2b4f"
    )


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


def test_unescape_reverses_slack_entities_once():
    """Slack's three entities are undone, `&amp;lt;` becomes `&lt;` (not `<`)."""
    assert unescape("&lt;a&gt; &amp; &amp;lt;") == "<a> & &lt;"


def test_invisible_means_control_or_format():
    """Control and format characters are invisible; letters, spaces and emoji are not."""
    assert all(is_invisible(ch) for ch in "\u202e\x00\u200d")
    assert not any(is_invisible(ch) for ch in "a 🔥")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"stop {A} --soft --hard", (Problem(K.SOFT_AND_HARD),)),
        (f"stop {A} --force", (Problem(K.BAD_OPTION, "--force"),)),
        (f"stop {A} treason:x", (Problem(K.NOT_A_SERVER_ID, "treason:x"),)),
        (f"stop {A} reason: {'x' * 501}", (Problem(K.REASON_TOO_LONG, count=501, limit=500),)),
        (f"stop {A} reason:   ", (Problem(K.REASON_EMPTY),)),
        ("stop", (Problem(K.NO_SERVER_IDS),)),
        (f"stop reason: oops {A}", (Problem(K.NO_SERVER_IDS_REASON_FIRST),)),
        (f"stop web-01 {A}", (Problem(K.NOT_A_SERVER_ID, "web-01"),)),
        (A, (Problem(K.STOP_FIRST),)),
        ("start x", (Problem(K.NOT_A_COMMAND, "start"),)),
        ("status", (Problem(K.STATUS_NEEDS_JOB),)),
        ("status a b c d e", (Problem(K.STATUS_EXTRA_TOKENS, "b c d"),)),
        ("status a_b", (Problem(K.NOT_A_JOB_ID, "a_b"),)),
        (
            f"stop {A[:8]}\u202e{A[8:]}",
            (Problem(K.INVISIBLE_CHARACTERS, f"{A[:8]}\u202e{A[8:]}", code_points=("U+202E",)),),
        ),
    ],
)
def test_problems_are_data_with_the_token_as_typed(text, expected):
    """Each problem names its kind and carries the token exactly as typed, unformatted."""
    assert error(text).problems == expected


def test_bad_tokens_beyond_five_are_counted():
    """Five bad tokens are named; the rest (each counted once) are one count."""
    tokens = " ".join(f"bad{i}" for i in range(12))
    problems = error(f"stop {tokens} bad0 bad1").problems
    assert [p.token for p in problems[:5]] == ["bad0", "bad1", "bad2", "bad3", "bad4"]
    assert problems[5] == Problem(K.MORE_BAD_TOKENS, count=7)


def test_too_many_ids_is_counted():
    """10,001 unique ids are one problem with the count and the limit."""
    many = [str(uuid.UUID(int=i + 1)) for i in range(MAX_IDS + 1)]
    assert error("stop " + " ".join(many)).problems == (
        Problem(K.TOO_MANY_IDS, count=MAX_IDS + 1, limit=MAX_IDS),
    )


@pytest.mark.parametrize("token", ["----------", "--soft", "-x", "a" * 65])
def test_status_with_something_that_is_no_job_id(token):
    """Dashes alone, an option, or an over-long id are refused by the parser as not a job id."""
    assert error(f"status {token}").problems == (Problem(K.NOT_A_JOB_ID, token),)


@pytest.mark.parametrize("job_id", ["2c9eb2c5544cbf6101544f0602af2b4f", "a", "ff-00", "A" * 64])
async def test_every_job_id_the_parser_accepts_the_client_can_ask_for(job_id):
    """One definition of a job id: what the parser lets through, the client sends."""
    command = parse_command(f"status {job_id}")
    assert command == StatusCommand(job_id)
    assert is_job_id(job_id)


def test_tags_select_servers_as_typed():
    """`tag:` selectors keep their case and order, dedupe, and join the ids named."""
    cmd = parse_command(f"stop tag:env=CI {A} TAG:team tag:env=CI reason: drill")
    assert isinstance(cmd, StopCommand)
    assert cmd.tags == ("env=CI", "team")
    assert cmd.server_ids == (A.lower(),)
    assert cmd.reason == "drill"


@pytest.mark.parametrize("token", ["tag:", "tag:=prod", "tag:env=a\u202e", "tag:" + "k" * 129])
def test_a_tag_without_a_key_or_with_hidden_characters_is_a_problem(token):
    """A selector with no key, an invisible character or a key past 128 characters is named."""
    problems = error(f"stop {token}").problems
    assert problems[0].kind is K.BAD_TAG
    assert K.NO_SERVER_IDS not in [p.kind for p in problems]
