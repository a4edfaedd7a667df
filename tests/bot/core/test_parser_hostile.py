"""Hostile input for the /bms command parser: huge, invisible, mention-laden or malformed text."""

from __future__ import annotations

import time

import pytest
from parse_helpers import A, B, error, stop

from bot.core.parser import ParseError, parse_command


def test_reason_drops_control_and_bidi_characters():
    """Control characters and bidi overrides are removed from the reason; emoji joiners stay."""
    reason = stop(f"stop {A} reason: a\x00b\u202ec 👨\u200d👩").reason
    assert reason == "abc 👨\u200d👩"


def test_echoed_tokens_are_clipped():
    """A huge token is echoed in at most about 40 characters."""
    problem = error(f"stop {'a' * 5000}").problems[0]
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
    for problem in error(f"stop {token} {A}").problems:
        assert "<" not in problem
        assert ">" not in problem
        assert "&lt;" in problem


def test_backtick_inside_token_cannot_break_out_of_code_span():
    """A backtick inside a bad token is neutralised so the echo stays one code span."""
    problem = error("stop ab`<!here>`cd").problems[0]
    assert problem.count("`") == 2
    assert "<" not in problem


def test_invisible_characters_in_an_id_are_named():
    """An id with an RTL override inside is refused, naming the invisible code point."""
    problem = error(f"stop {A[:8]}\u202e{A[8:]}").problems[0]
    assert "U+202E" in problem
    assert "\u202e" not in problem


@pytest.mark.parametrize("space", ["\u200b", "\u2060", "\ufeff", "\u00a0", "\u3000"])
def test_zero_width_and_unicode_spaces_separate_ids(space):
    """Zero-width and non-ASCII spaces act as separators, never as part of an id."""
    assert stop(f"stop{space}{A}{space}{B}").server_ids == (A, B)


@pytest.mark.parametrize(
    "token",
    [
        "'; DROP TABLE requests; --",
        "1 OR 1=1",
        "🖥️",
        "\u0666\u0661\u0666fb98f-46ca-475e-917e-2563e5a8cd19",  # Arabic-Indic digits
        "\uff16\uff11\uff16fb98f-46ca-475e-917e-2563e5a8cd19",  # full-width digits
        "616fb98f46ca475e917e2563e5a8cd19",
        "616fb98f-46ca-475e-917e-2563e5a8cd1",
        "616fb98g-46ca-475e-917e-2563e5a8cd19",
    ],
)
def test_near_misses_and_junk_are_not_ids(token):
    """SQL-ish strings, emoji, non-ASCII digits and malformed UUIDs are refused."""
    command = parse_command(f"stop {token}")
    assert isinstance(command, ParseError)


@pytest.mark.parametrize(
    "text",
    [
        "stop " + "a" * 100_000,
        "stop " + "x " * 50_000,
        "stop " + ("<@U1>" * 20_000),
        "stop " + "\u200b" * 100_000,
        "stop " + "🔥" * 100_000,
        f"stop {A} reason: " + "y" * 100_000,
        "status " + "z" * 100_000,
        "x" * 100_000,
    ],
)
def test_huge_input_is_fast_and_bounded(text):
    """100k characters of junk parse in well under a second into a short answer."""
    started = time.perf_counter()
    command = parse_command(text)
    assert time.perf_counter() - started < 1.0
    if isinstance(command, ParseError):
        assert len(command.problems) <= 7
        assert sum(len(p) for p in command.problems) < 2000


def test_unknown_subcommand_mention_is_escaped():
    """A mention as the first word is echoed escaped."""
    assert error("<!channel>").problems[0].startswith("`&lt;!channel&gt;`")
