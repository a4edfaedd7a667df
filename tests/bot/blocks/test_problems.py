"""Problems with a command in words: exact texts, and every echoed token escaped and clipped."""

from __future__ import annotations

import uuid

import pytest

from bot.blocks.problems import problem_lines
from bot.core.parser import MAX_IDS, ParseError, parse_command
from tests.support.parsing import HUGE_INPUTS, A, said, stop


def test_soft_and_hard_together_is_an_error():
    """Asking for both stop types is refused."""
    assert any("--soft" in p and "--hard" in p for p in said(f"stop {A} --soft --hard"))


@pytest.mark.parametrize("option", ["--force", "-f", "--type=soft", "-"])
def test_unknown_option_names_the_token(option):
    """Anything else starting with a dash is named as an unknown option."""
    problems = said(f"stop {A} {option}")
    assert problems == (f"`{option}` is not an option (use `--soft` or `--hard`)",)


def test_reason_glued_to_previous_token_is_not_a_reason():
    """`treason:` is an invalid token, not a reason marker."""
    problems = said(f"stop {A} treason:x")
    assert problems[0].startswith("`treason:x` is not a server id")


def test_reason_of_500_chars_is_fine_and_501_is_not():
    """The reason limit is 500 characters after collapsing whitespace."""
    assert stop(f"stop {A} reason: {'x' * 500}").reason == "x" * 500
    problems = said(f"stop {A} reason: {'x' * 501}")
    assert problems == ("The reason is 501 characters; the limit is 500",)


def test_empty_reason_is_an_error():
    """`reason:` with nothing after it says so."""
    assert said(f"stop {A} reason:   ") == ("`reason:` needs some text after it",)


def test_stop_without_ids():
    """`stop` alone asks for at least one id or a tag."""
    assert said("stop") == ("`/bms stop` needs at least one server id or `tag:key=value`",)


def test_reason_before_ids_hints_to_put_reason_last():
    """Ids swallowed by an early `reason:` get a hint."""
    assert "put `reason:` last" in said(f"stop reason: oops {A}")[0]


def test_bad_token_message_names_token_and_expected_form():
    """A non-UUID is named with the expected form."""
    assert said(f"stop web-01 {A}") == (
        f"`web-01` is not a server id (expected a UUID such as {A})",
    )


def test_up_to_five_bad_tokens_then_a_count():
    """Five bad tokens are named, the rest counted; repeated ones count once."""
    tokens = " ".join(f"bad{i}" for i in range(12))
    problems = said(f"stop {tokens} bad0 bad1")
    assert [p.split("`")[1] for p in problems[:5]] == ["bad0", "bad1", "bad2", "bad3", "bad4"]
    assert problems[5] == "…and 7 more that are not server ids"
    assert len(problems) == 6


def test_limit_of_ids():
    """10,000 unique ids are fine; 10,001 get a clear error; duplicates don't count."""
    many = [str(uuid.UUID(int=i + 1)) for i in range(MAX_IDS + 1)]
    assert len(stop("stop " + " ".join(many[:MAX_IDS] + many[:10])).server_ids) == MAX_IDS
    problems = said("stop " + " ".join(many))
    assert problems == (
        "10,001 server ids is too many: the limit is 10,000 per request, "
        "so split them into several requests",
    )


def test_first_word_uuid_suggests_stop():
    """Starting with an id (forgetting `stop`) suggests the right form."""
    assert "Start with `stop`" in said(A)[0]


def test_unknown_subcommand_is_named():
    """An unknown first word is named and the commands listed."""
    assert said("start x") == (
        "`start` is not a command: use `stop`, `schedule`, `cancel`, `postpone`, "
        "`status` or `help`",
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
    problems = said(text)
    assert fragment in problems[0]
    assert "<" not in problems[0]


def test_echoed_tokens_are_clipped():
    """A huge token is echoed in at most about 40 characters."""
    problem = said(f"stop {'a' * 5000}")[0]
    assert problem.startswith("`" + "a" * 39 + "…`")
    assert len(problem) < 200


@pytest.mark.parametrize(
    "token",
    [
        "&lt;!channel&gt;",
        "<!channel>",
        "<!here>",
        "<@U0ADMIN>",
        "<#C0GENERAL>",
        "<http://x|y>",
        "&lt;http://evil.example|click&gt;",
        "<!subteam^S123>",
    ],
)
def test_echoed_tokens_cannot_render_as_mentions_or_links(token):
    """Mentions, broadcasts and links in tokens come back escaped, never as markup."""
    for problem in said(f"stop {token} {A}"):
        assert "<" not in problem
        assert ">" not in problem
        assert "&lt;" in problem


def test_backtick_inside_token_cannot_break_out_of_code_span():
    """A backtick inside a bad token is neutralised so the echo stays one code span."""
    problem = said("stop ab`<!here>`cd")[0]
    assert problem.count("`") == 2
    assert "<" not in problem


def test_invisible_characters_in_an_id_are_named():
    """An id with an RTL override inside is refused, naming the invisible code point."""
    problem = said(f"stop {A[:8]}\u202e{A[8:]}")[0]
    assert "U+202E" in problem
    assert "\u202e" not in problem


def test_unknown_subcommand_mention_is_escaped():
    """A mention as the first word is echoed escaped."""
    assert said("<!channel>")[0].startswith("`&lt;!channel&gt;`")


@pytest.mark.parametrize("text", HUGE_INPUTS)
def test_huge_input_gives_a_short_answer(text):
    """100k characters of junk are worded in a few short lines."""
    command = parse_command(text)
    if isinstance(command, ParseError):
        lines = problem_lines(command)
        assert len(lines) <= 7
        assert sum(len(p) for p in lines) < 2000


def test_a_bad_tag_says_how_to_write_one():
    """`tag:` with no key is named, with the two shapes a tag takes."""
    (line,) = said("stop tag:=x")
    assert "`tag:=x`" in line
    assert "`tag:key=value`" in line
