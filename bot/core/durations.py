"""Durations as people type them: ``90s``, ``30m``, ``2h``, ``1d``, ``1h30m``.

One grammar for the policy file (``approval_ttl``) and, later, the commands and settings that take
a duration, so ``30m`` means the same everywhere.
"""

from __future__ import annotations

import re

_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d{1,6})([dhms])", re.ASCII)
_WHOLE = re.compile(r"(?:\d{1,6}[dhms])+", re.ASCII)


class DurationError(ValueError):
    """Not a duration; the message shows what would be."""


def parse_duration(text: str) -> float:
    """Seconds in ``text`` (units d, h, m, s, largest first, each once); ``DurationError``
    otherwise. ``0s`` and the like are refused: a duration here is always some time."""
    plain = text.strip().lower()
    if not _WHOLE.fullmatch(plain):
        raise DurationError(f"{text!r} is not a duration; write it like 90s, 30m, 2h, 1d or 1h30m")
    parts = _PART.findall(plain)
    units = [unit for _, unit in parts]
    order = list(_UNITS)
    if sorted(units, key=order.index) != units or len(set(units)) != len(units):
        raise DurationError(f"{text!r}: give each unit once, largest first (like 1h30m)")
    seconds = sum(int(n) * _UNITS[unit] for n, unit in parts)
    if seconds <= 0:
        raise DurationError(f"{text!r} is no time at all; write it like 30m")
    return float(seconds)


def format_duration(seconds: float) -> str:
    """The short form people type back: 1800 → ``30m``, 5400 → ``1h30m``, 45 → ``45s``."""
    left = round(seconds)
    out = []
    for unit, size in _UNITS.items():
        if left >= size:
            out.append(f"{left // size}{unit}")
            left %= size
    return "".join(out) or "0s"
