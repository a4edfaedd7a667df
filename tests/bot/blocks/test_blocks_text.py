"""Tests for the mrkdwn string helpers: escaping, clipping, measuring and formats."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.blocks.text import (
    channel_link,
    clip,
    code,
    duration,
    escape,
    inline,
    iso_date,
    json_len,
    plural,
    progress_bar,
    sanitize,
    slack_date,
    slack_len,
    user_mention,
)


def test_escape_neutralises_mentions_and_links():
    """&, < and > become entities, so no mention or link markup survives."""
    assert escape("<!channel> & <@U1> <http://x|y>") == (
        "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;http://x|y&gt;"
    )


def test_escape_is_not_undone_by_pre_escaped_text():
    """Already-escaped text is escaped again, so `&lt;` shows literally, not as `<`."""
    assert escape("&lt;!here&gt;") == "&amp;lt;!here&amp;gt;"


def test_sanitize_drops_controls_and_bidi_overrides():
    """Control characters vanish, newlines become spaces, RTL overrides are removed."""
    assert sanitize("a\x00b\nc\u202ed\u2066e") == "ab cde"


def test_sanitize_keeps_emoji_joiners():
    """Zero-width joiners (emoji sequences) are kept."""
    assert sanitize("👨\u200d👩") == "👨\u200d👩"


def test_slack_len_counts_utf16_units():
    """Astral emoji count twice, like Slack's JavaScript counts them."""
    assert slack_len("a🔥é") == 4


def test_json_len_matches_json_dumps():
    """json_len equals what json.dumps writes without the quotes."""
    text = 'a"\\\n🔥é\x01'
    assert json_len(text) == len(json.dumps(text)) - 2


@pytest.mark.parametrize("text", ["x" * 5000, "🔥" * 5000, "é" * 5000, "&amp;" * 1000])
def test_clip_respects_both_limits(text):
    """Clipped text fits the UTF-16 and JSON limits and ends with an ellipsis."""
    out = clip(text, 100, json_limit=300)
    assert slack_len(out) <= 100
    assert json_len(out) <= 300
    assert out.endswith("…")


def test_clip_leaves_short_text_alone():
    """Text within limits is returned unchanged."""
    assert clip("hello", 5) == "hello"


def test_clip_never_leaves_half_an_entity():
    """A cut inside `&amp;` drops the partial entity."""
    assert clip("ab&amp;cd", 5) == "ab…"


def test_inline_collapses_escapes_and_defaults():
    """inline makes one escaped line, and a placeholder for empty or invisible input."""
    assert inline(" a\n\n<b> ", 50) == "a &lt;b&gt;"
    assert inline(None, 50) == "(no name)"
    assert inline("\u202e\x00", 50, empty="-") == "-"


def test_code_cannot_be_broken_out_of():
    """Backticks inside code spans are replaced so the span cannot end early."""
    assert code("a`<!here>`b") == "`a'&lt;!here&gt;'b`"
    assert code("") == "`(empty)`"
    assert len(code("x" * 500, 40)) <= 42


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("U2147483697", "<@U2147483697>"),
        ("W0ABC", "<@W0ABC>"),
        ("!channel", "someone"),
        (None, "someone"),
    ],
)
def test_user_mention_only_for_real_ids(user, expected):
    """Only ids that look like Slack user ids become mentions."""
    assert user_mention(user) == expected


def test_channel_link_only_for_real_ids():
    """Only ids that look like Slack channel ids become channel links."""
    assert channel_link("C2147483705") == "<#C2147483705>"
    assert channel_link("here|x") is None
    assert channel_link(None) is None


def test_slack_date_has_epoch_format_and_utc_fallback():
    """Dates use Slack's date token with a UTC fallback, whatever the input zone."""
    when = datetime(2025, 11, 27, 16, 0, tzinfo=timezone(timedelta(hours=1)))
    assert slack_date(when) == "<!date^1764255600^{date_short_pretty} {time}|2025-11-27 15:00 UTC>"
    assert slack_date(datetime(2025, 11, 27, 15, 0)) == slack_date(when)  # naive is UTC


def test_iso_date_parses_huawei_timestamps():
    """Huawei's millisecond Z timestamps become Slack dates; junk is shown escaped."""
    assert iso_date("2025-11-27T15:00:00.000Z") == slack_date(
        datetime(2025, 11, 27, 15, tzinfo=UTC)
    )
    assert iso_date("<!here>") == "&lt;!here&gt;"
    assert iso_date(None) is None


def test_plural_and_duration():
    """Counts read naturally, with thousands separators."""
    assert plural(1, "server") == "1 server"
    assert plural(1000, "server") == "1,000 servers"
    assert duration(45) == "45 seconds"
    assert duration(600) == "10 minutes"
    assert duration(7200) == "2 hours"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (8, "8 seconds"),
        (1.5, "1.5 seconds"),
        (90, "1 minute 30 seconds"),
        (3600, "1 hour"),
        (5400, "1 hour 30 minutes"),
        (90061, "1 day 1 hour 1 minute 1 second"),
    ],
)
def test_duration_is_exact_in_natural_units(seconds, words):
    """Durations are never rounded to a misleading unit: 8 s is "8 seconds", not "1 minute"."""
    assert duration(seconds) == words


def test_progress_bar_bounds():
    """The bar is empty at zero, full at total, and never over- or under-flows."""
    assert progress_bar(0, 10, 10) == "▱" * 10
    assert progress_bar(10, 10, 10) == "▰" * 10
    assert progress_bar(5, 10, 10) == "▰" * 5 + "▱" * 5
    assert progress_bar(50, 10, 10) == "▰" * 10
    assert progress_bar(3, 0, 4) == "▱" * 4
