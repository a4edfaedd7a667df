"""Hostile input for the /bms command parser: huge, invisible, mention-laden or malformed text."""

from __future__ import annotations

import time

import pytest

from bot.core.parser import ParseError, parse_command
from tests.support.parsing import HUGE_INPUTS, A, B, stop


def test_reason_drops_control_and_bidi_characters():
    """Control characters and bidi overrides are removed from the reason; emoji joiners stay."""
    reason = stop(f"stop {A} reason: a\x00b\u202ec 👨\u200d👩").reason
    assert reason == "abc 👨\u200d👩"


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


@pytest.mark.parametrize("text", HUGE_INPUTS)
def test_huge_input_is_fast_and_bounded(text):
    """100k characters of junk parse in well under a second into a short answer."""
    started = time.perf_counter()
    command = parse_command(text)
    assert time.perf_counter() - started < 1.0
    if isinstance(command, ParseError):
        assert len(command.problems) <= 7
        assert sum(len(p.token) for p in command.problems) <= 7 * 100_001
