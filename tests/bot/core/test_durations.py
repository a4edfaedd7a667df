"""Durations as people type them, and back."""

from __future__ import annotations

import pytest

from bot.core.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("2h", 7200), ("1d", 86400), ("1h30m", 5400)],
)
def test_each_unit_and_a_combination(text: str, seconds: int) -> None:
    """s, m, h and d, alone or combined largest first, are seconds."""
    assert parse_duration(text) == seconds


def test_all_four_units_together_and_any_case_and_spaces_around() -> None:
    """1d2h3m4s adds up; capitals and surrounding spaces are forgiven."""
    assert parse_duration("1d2h3m4s") == 86400 + 7200 + 180 + 4
    assert parse_duration(" 1H30M\n") == 5400


def test_a_unit_need_not_carry() -> None:
    """90m is 90 minutes, not an error for "1h30m"."""
    assert parse_duration("90m") == 5400


@pytest.mark.parametrize("text", ["0s", "0m", "0h0m", "0d0h0m0s"])
def test_no_time_at_all_is_refused(text: str) -> None:
    """A duration is always some time: zero in any spelling is refused."""
    with pytest.raises(DurationError, match="no time at all"):
        parse_duration(text)


@pytest.mark.parametrize(
    "text", ["30 minutes", "m30", "30", "", "1h 30m", "-5m", "1.5h", "30x", "1234567s"]
)
def test_what_is_not_a_duration_is_refused_with_examples(text: str) -> None:
    """Words, a unit before its number, no unit, inner spaces and signs are refused with the
    forms that work."""
    with pytest.raises(DurationError, match=r"write it like 90s, 30m, 2h, 1d or 1h30m"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["30m1h", "1s1m", "1h1h", "30m30m", "1h30m1h"])
def test_units_out_of_order_or_repeated_are_refused(text: str) -> None:
    """Each unit once, largest first: 30m1h and 1h1h are refused."""
    with pytest.raises(DurationError, match="each unit once, largest first"):
        parse_duration(text)


def test_a_duration_error_is_a_value_error() -> None:
    """Callers that validate with ValueError (pydantic) catch DurationError too."""
    assert issubclass(DurationError, ValueError)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45, "45s"), (1800, "30m"), (5400, "1h30m"), (86400, "1d"), (90061, "1d1h1m1s"), (0, "0s")],
)
def test_format_duration_gives_the_short_form(seconds: int, text: str) -> None:
    """Seconds are written back in the form people type, largest unit first."""
    assert format_duration(seconds) == text


def test_format_duration_rounds_to_whole_seconds() -> None:
    """Fractions of a second are rounded, never written."""
    assert format_duration(89.6) == "1m30s"


def test_formatted_durations_parse_back_to_the_same_seconds() -> None:
    """parse_duration(format_duration(n)) == n for every n up to two days."""
    for seconds in range(1, 2 * 86400 + 1):
        assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize("text", ["45s", "1m30s", "30m", "2h", "1d", "1h30m", "1d2h3m4s"])
def test_canonical_text_formats_back_to_itself(text: str) -> None:
    """format_duration(parse_duration(text)) is the text, for text already in short form."""
    assert format_duration(parse_duration(text)) == text
