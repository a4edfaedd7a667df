"""When a scheduled stop runs: the small grammar after ``at`` and ``in``, and its resolution.

A grammar of our own over the standard library's ``zoneinfo`` (the ``tzdata`` package supplies
the zone database where the system has none), rather than a natural-language parser: the set is
small and fixed, every form must fail the same way, and DST gaps and overlaps must be refused
rather than guessed, which general parsers resolve silently. The forms::

    at 22:00                  today, in the requester's zone
    at tomorrow 07:30         (also ``today 07:30``)
    at fri 22:00              the next Friday at 22:00 (today, if still ahead)
    at 2026-12-24 18:00       a date and a time
    at 2026-12-24T18:00       ISO 8601; with an offset (``+01:00``, ``Z``) it names its own zone
    … 22:00 UTC               any form but ISO-with-offset may end in ``UTC`` or an IANA zone
    in 90s | 30m | 2h | 1d | 1h30m

``parse_when`` only reads the text (``Problem`` when it cannot); ``resolve`` turns it into an
instant for a zone and a moment, refusing past times, times beyond the horizon and local times
that do not exist or exist twice (``Problem`` again, with what would work).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.durations import DurationError, parse_duration
from bot.core.problems import Problem, ProblemKind

HORIZON_DAYS = 90
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\S+", re.ASCII)


@dataclass(frozen=True, slots=True)
class After:
    """``in <duration>``: this many seconds from the moment the command is read. Postponing,
    a bare duration counts from the schedule's own time (``2h``: two hours later), and
    ``in 2h`` from now (``from_now``)."""

    seconds: float
    from_now: bool = False


@dataclass(frozen=True, slots=True)
class At:
    """``at <time>``: a wall-clock time, placed in a zone by ``resolve``.

    ``day`` is ``today``, ``tomorrow``, a weekday (``mon``…) or an ISO date; ``zone`` is a zone
    named in the text (an IANA name or UTC), else None: the requester's own. ``instant`` is set
    for ISO 8601 with an offset, which needs no zone at all."""

    text: str
    day: str = "today"
    clock: time = time(0, 0)
    zone: str | None = None
    instant: datetime | None = None


When = After | At


def parse_when(keyword: str, words: list[str]) -> When | Problem:
    """The words after ``at`` or ``in`` (``keyword``), or the problem with them."""
    text = " ".join(words)
    if not words:
        return Problem(ProblemKind.WHEN_MISSING, keyword)
    if keyword == "in":
        if len(words) != 1:
            return Problem(ProblemKind.BAD_DURATION, text)
        try:
            return After(parse_duration(words[0]))
        except DurationError:
            return Problem(ProblemKind.BAD_DURATION, text)
    return _parse_at(text, words)


def _parse_at(text: str, words: list[str]) -> At | Problem:
    zone = None
    if len(words) > 1 and _zone(words[-1]) is not None:
        zone, words = words[-1], words[:-1]
    if len(words) == 1 and _ISO.fullmatch(words[0]):
        return _parse_iso(text, words[0], zone)
    day, clock_word = ("today", words[0]) if len(words) == 1 else (words[0].lower(), words[1])
    clock = _CLOCK.fullmatch(clock_word)
    if len(words) > 2 or clock is None or not _known_day(day):
        return Problem(ProblemKind.BAD_TIME, text)
    if _DATE.fullmatch(day) and _date(day) is None:
        return Problem(ProblemKind.BAD_TIME, text)
    hours, minutes, seconds = (int(g or 0) for g in clock.groups())
    return At(text, _day_key(day), time(hours, minutes, seconds), zone)


def _parse_iso(text: str, word: str, zone: str | None) -> At | Problem:
    """ISO 8601; with an offset it names its own instant (and takes no zone word)."""
    try:
        parsed = datetime.fromisoformat(word.replace("z", "Z"))
        instant = parsed.astimezone(UTC) if parsed.tzinfo is not None else None
    except (ValueError, OverflowError):  # not ISO, or an offset past year 1 or 9999
        return Problem(ProblemKind.BAD_TIME, text)
    if instant is not None:
        return Problem(ProblemKind.BAD_TIME, text) if zone else At(text, instant=instant)
    return At(text, parsed.date().isoformat(), parsed.time(), zone)


def _known_day(day: str) -> bool:
    return day in ("today", "tomorrow") or _day_key(day) in WEEKDAYS or bool(_DATE.fullmatch(day))


def _day_key(day: str) -> str:
    """``friday`` and ``fri`` alike become ``fri``; anything else stays as it is."""
    return WEEKDAYS[_FULL_DAYS.index(day)] if day in _FULL_DAYS else day


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _zone(name: str) -> tzinfo | None:
    """The zone a word names (``UTC``, ``Z``, ``Europe/Berlin``), or None."""
    if name.upper() in ("UTC", "Z", "GMT"):
        return UTC
    if "/" not in name:
        return None  # a plain word is never a zone here (``fri``), so no abbreviations
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder or a long name
        return None


def zone_of(name: str | None) -> tzinfo:
    """The requester's Slack zone (``users.info`` ``tz``), UTC if unset or unknown here."""
    return (_zone(name) if name else None) or UTC


def zone_name(name: str | None) -> str:
    """The name of the zone ``zone_of`` reads times in (``UTC`` for one it cannot load)."""
    return _name(zone_of(name))


def resolve(
    when: When, zone_name: str | None, now: datetime, horizon_days: int = HORIZON_DAYS
) -> datetime | Problem:
    """The instant (UTC) ``when`` means for someone in ``zone_name`` at ``now`` (aware), or why it
    cannot be used: past, beyond the horizon, or a local time that does not exist or exists
    twice. The problem's ``token`` is what was asked; ``example`` what would work."""
    zone = zone_of(zone_name)
    if isinstance(when, After):
        at = now + timedelta(seconds=when.seconds)
    elif when.instant is not None:
        at = when.instant
    else:
        zone = (_zone(when.zone) or UTC) if when.zone else zone
        local = _local(when, now.astimezone(zone))
        try:
            found = _exact(local, zone, when.text)
        except OverflowError:  # its UTC is before year 1 or after 9999: far past or far ahead
            far = now if local < now.replace(tzinfo=None) else datetime.max.replace(tzinfo=UTC)
            return _in_range(when, far, now, horizon_days, zone)
        if isinstance(found, Problem):
            return found
        at = found
    return _in_range(when, at, now, horizon_days, zone)


def _local(when: At, here: datetime) -> datetime:
    """The naive local date and time ``when`` names, seen from ``here`` (local, aware)."""
    today = here.date()
    if _DATE.fullmatch(when.day):
        day = date.fromisoformat(when.day)
    elif when.day == "tomorrow":
        day = today + timedelta(days=1)
    elif when.day in WEEKDAYS:
        ahead = (WEEKDAYS.index(when.day) - today.weekday()) % 7
        day = today + timedelta(days=ahead)
        if ahead == 0 and when.clock <= here.time().replace(tzinfo=None):
            day += timedelta(days=7)  # "fri 22:00" said on a Friday night: next Friday
    else:
        day = today
    return datetime.combine(day, when.clock)


def _exact(local: datetime, zone: tzinfo, text: str) -> datetime | Problem:
    """``local`` in ``zone`` as one instant, or the DST problem with it."""
    first, second = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local:
        after = first.astimezone(UTC).astimezone(zone)  # 02:30 in a 02:00→03:00 jump: 03:30
        example = after.replace(tzinfo=None).isoformat(" ", "minutes")
        return Problem(ProblemKind.TIME_DST_GAP, text, example=example, zone=_name(zone))
    if first.utcoffset() != second.utcoffset():
        both = f"{first.isoformat('T', 'minutes')} or {second.isoformat('T', 'minutes')}"
        return Problem(ProblemKind.TIME_DST_OVERLAP, text, example=both, zone=_name(zone))
    return first.astimezone(UTC)


def _in_range(
    when: When, at: datetime, now: datetime, horizon_days: int, zone: tzinfo
) -> datetime | Problem:
    """``at`` if it is ahead and within the horizon; else the problem, with what would work
    in the zone the time was read in (the last day, or the same time tomorrow)."""
    text = when.text if isinstance(when, At) else ""
    if at <= now:
        example = "in 1h"
        if isinstance(when, At) and when.day == "today" and when.instant is None:
            example = f"tomorrow {when.clock.strftime('%H:%M')}"
            example += f" {when.zone}" if when.zone else ""
        return Problem(ProblemKind.TIME_PAST, text, example=example)
    horizon = now + timedelta(days=horizon_days)
    if at > horizon:
        latest = horizon.astimezone(zone).date().isoformat()
        return Problem(ProblemKind.TIME_TOO_FAR, text, limit=horizon_days, example=latest)
    return at.astimezone(UTC)


def _name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone)
