"""String helpers for Slack mrkdwn: escaping, measuring, clipping, dates and small formats.

Everything a user or the cloud supplied (reasons, server names, tokens, error messages) passes
through ``escape`` before it reaches mrkdwn, so it can never render as a mention (``<!channel>``,
``<@U…>``), a link or a date. Lengths are measured the way the limits bite: ``slack_len`` counts
UTF-16 code units (what Slack's JavaScript counts; never less than Python's ``len``) and
``json_len`` counts the characters ``json.dumps`` writes (non-ASCII becomes ``\\uXXXX``), which is
what the message-size limit sees.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

ELLIPSIS = "…"
_JSON_ESCAPES = frozenset('"\\\n\r\t\b\f')
# Bidi embeddings, overrides, isolates and marks: they can visually reorder the rest of a line.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# For translate(): control characters (Cc), lone surrogates (unencodable) and bidi overrides.
_SANITIZE: dict[int, str | None] = {
    **dict.fromkeys((*range(0x20), *range(0x7F, 0xA0), *range(0xD800, 0xE000))),
    **{ord(ch): " " for ch in "\n\r\t"},
    **{ord(ch): None for ch in _BIDI},
}
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}", re.ASCII)
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,20}", re.ASCII)
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,4}$")


def slack_len(text: str) -> int:
    """Length in UTF-16 code units: astral characters (most emoji) count twice."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def json_len(text: str) -> int:
    """Characters ``json.dumps`` writes for ``text``, without the quotes."""
    return len(json.dumps(text)) - 2


def _json_cost(ch: str) -> int:
    if ch in _JSON_ESCAPES:
        return 2
    code = ord(ch)
    if 0x20 <= code < 0x80:
        return 1
    return 6 if code <= 0xFFFF else 12


def sanitize(text: str) -> str:
    """Drop control characters (newlines, tabs become spaces), lone surrogates, bidi overrides."""
    return text.translate(_SANITIZE)


def escape(text: str) -> str:
    """Make any string safe inside mrkdwn: sanitized, with ``&``, ``<`` and ``>`` escaped."""
    clean = sanitize(text)
    return clean.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int, *, json_limit: int | None = None) -> str:
    """Cut ``text`` so it fits ``limit`` (``slack_len``) and ``json_limit``, ending in an ellipsis.

    Safe on escaped mrkdwn: a half-cut entity (``&am``) is dropped rather than left dangling.
    """
    if slack_len(text) <= limit and (json_limit is None or json_len(text) <= json_limit):
        return text
    json_room = (json_limit if json_limit is not None else 12 * limit) - _json_cost(ELLIPSIS)
    end = _cut_point(text, limit - 1, json_room)
    return _PARTIAL_ENTITY.sub("", text[:end]) + ELLIPSIS


def _cut_point(text: str, room: int, json_room: int) -> int:
    """How many leading characters of ``text`` fit in ``room`` UTF-16 units and ``json_room``."""
    used = json_used = 0
    for index, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        json_used += _json_cost(ch)
        if used > room or json_used > json_room:
            return index
    return len(text)


def inline(
    text: str | None, limit: int, *, json_limit: int | None = None, empty: str = "(no name)"
) -> str:
    """A user- or cloud-supplied string as escaped, single-line mrkdwn within ``limit`` chars."""
    safe = escape(" ".join((text or "").split())).strip()
    return clip(safe, limit, json_limit=json_limit) if safe else empty


def code(text: str | None, limit: int = 64) -> str:
    """``text`` in a code span, escaped and clipped; backticks inside would end the span early."""
    body = clip(escape(text or "").replace("`", "'"), limit).strip()
    return f"`{body}`" if body else "`(empty)`"


def user_mention(user_id: str | None) -> str:
    """``<@U…>`` for a real-looking Slack user id, else a harmless word."""
    if user_id and _USER_ID.fullmatch(user_id):
        return f"<@{user_id}>"
    return "someone"


def channel_link(channel_id: str | None) -> str | None:
    """``<#C…>`` for a real-looking Slack channel id, else None."""
    if channel_id and _CHANNEL_ID.fullmatch(channel_id):
        return f"<#{channel_id}>"
    return None


def slack_date(when: datetime) -> str:
    """A date every reader sees in their own time zone, with a UTC fallback."""
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return f"<!date^{int(aware.timestamp())}^{{date_short_pretty}} {{time}}|{utc_text(aware)}>"


def utc_text(when: datetime) -> str:
    """A date in UTC as plain text, where Slack renders no date token (plain_text fields)."""
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso_date(value: str | None) -> str | None:
    """A Huawei ISO 8601 timestamp as a Slack date; the escaped raw text if it does not parse."""
    if not value:
        return None
    try:
        return slack_date(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return inline(value, 40)


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``1 server``, ``3 servers``, ``1,000 servers``."""
    word = noun if count == 1 else (plural_form or noun + "s")
    return f"{count:,} {word}"


_UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))


def duration(seconds: float) -> str:
    """A duration exactly, in natural units: ``8 seconds``, ``1 minute 30 seconds``, ``2 hours``
    (fractions of a second only below a minute: ``0.5 seconds``)."""
    if seconds < 60 and seconds != int(seconds):
        return f"{seconds:g} seconds"
    left = round(seconds)
    parts = []
    for unit, size in _UNITS:
        count, left = divmod(left, size)
        if count:
            parts.append(plural(count, unit))
    return " ".join(parts) or "0 seconds"


def progress_bar(part: int, total: int, width: int = 20) -> str:
    """A text bar such as ``▰▰▰▰▱▱▱▱``; empty when ``total`` is zero."""
    if total <= 0:
        return "▱" * width
    filled = min(width, max(0, round(width * part / total)))
    return "▰" * filled + "▱" * (width - filled)
