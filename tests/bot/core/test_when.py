"""Tests for the time grammar of scheduled stops (``bot.core.when``): reading and resolving.

Every ``now`` is a fixed aware UTC datetime; nothing reads the real clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.core.problems import Problem, ProblemKind
from bot.core.when import HORIZON_DAYS, After, At, When, parse_when, resolve, zone_of

K = ProblemKind
NY = "America/New_York"
BERLIN = "Europe/Berlin"
# Thursday 2026-06-04, 12:00 UTC: 08:00 in New York (EDT), 14:00 in Berlin (CEST).
THU_NOON = datetime(2026, 6, 4, 12, 0, tzinfo=UTC)


def at(text: str) -> At:
    """``text`` after ``at``, insisting that it reads."""
    found = parse_when("at", text.split())
    assert isinstance(found, At), found
    return found


def problem(keyword: str, text: str) -> Problem:
    """``text`` after ``keyword``, insisting that it does not read."""
    found = parse_when(keyword, text.split())
    assert isinstance(found, Problem), found
    return found


def instant(when: When, zone: str | None, now: datetime, horizon: int = HORIZON_DAYS) -> datetime:
    """``when`` resolved, insisting that it resolves to an aware UTC datetime."""
    found = resolve(when, zone, now, horizon)
    assert isinstance(found, datetime), found
    assert found.tzinfo is UTC
    return found


def refused(when: When, zone: str | None, now: datetime, horizon: int = HORIZON_DAYS) -> Problem:
    """``when`` resolved, insisting that it is refused."""
    found = resolve(when, zone, now, horizon)
    assert isinstance(found, Problem), found
    return found


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# parse_when: the forms after `at`


@pytest.mark.parametrize(
    ("text", "clock"),
    [
        ("22:00", time(22, 0)),
        ("9:05", time(9, 5)),
        ("09:05", time(9, 5)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("22:00:30", time(22, 0, 30)),
    ],
)
def test_a_bare_clock_is_today(text: str, clock: time) -> None:
    """A clock alone (with or without seconds, one or two hour digits) means today."""
    assert at(text) == At(text, "today", clock)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("today 07:30", "today"),
        ("tomorrow 07:30", "tomorrow"),
        ("Tomorrow 07:30", "tomorrow"),
        ("TODAY 07:30", "today"),
    ],
)
def test_today_and_tomorrow_any_case(text: str, day: str) -> None:
    """`today` and `tomorrow` before a clock are read in any case and kept lower-case."""
    assert at(text) == At(text, day, time(7, 30))


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("fri 22:00", "fri"),
        ("Friday 22:00", "fri"),
        ("FRI 22:00", "fri"),
        ("FRIDAY 22:00", "fri"),
        ("mon 22:00", "mon"),
        ("monday 22:00", "mon"),
        ("Tue 22:00", "tue"),
        ("wednesday 22:00", "wed"),
        ("thu 22:00", "thu"),
        ("saturday 22:00", "sat"),
        ("Sun 22:00", "sun"),
    ],
)
def test_weekdays_short_long_any_case(text: str, day: str) -> None:
    """Weekdays, short or long and in any case, become their three-letter key."""
    assert at(text) == At(text, day, time(22, 0))


def test_a_date_and_a_clock() -> None:
    """`2026-12-24 18:00` keeps the ISO date as its day."""
    assert at("2026-12-24 18:00") == At("2026-12-24 18:00", "2026-12-24", time(18, 0))


def test_iso_without_offset_is_a_local_date_and_time() -> None:
    """ISO 8601 without an offset is a date and a clock, to be read in a zone."""
    assert at("2026-12-24T18:00") == At("2026-12-24T18:00", "2026-12-24", time(18, 0))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-24T18:00+01:00", utc(2026, 12, 24, 17, 0)),
        ("2026-12-24T18:00-05:00", utc(2026, 12, 24, 23, 0)),
        ("2026-12-24T18:00Z", utc(2026, 12, 24, 18, 0)),
        ("2026-12-24t18:00z", utc(2026, 12, 24, 18, 0)),
        ("2026-12-24T18:00:30+00:00", utc(2026, 12, 24, 18, 0, 30)),
    ],
)
def test_iso_with_offset_is_an_instant(text: str, expected: datetime) -> None:
    """ISO 8601 with an offset (or Z, any case) names its own instant, in UTC."""
    found = at(text)
    assert found.text == text
    assert found.instant == expected
    assert found.instant is not None
    assert found.instant.utcoffset() == timedelta(0)
    assert found.zone is None


@pytest.mark.parametrize(
    ("text", "day", "zone"),
    [
        ("22:00 UTC", "today", "UTC"),
        ("22:00 utc", "today", "utc"),
        ("22:00 GMT", "today", "GMT"),
        ("22:00 Europe/Berlin", "today", BERLIN),
        ("tomorrow 22:00 America/New_York", "tomorrow", NY),
        ("fri 22:00 UTC", "fri", "UTC"),
        ("2026-12-24 22:00 Europe/Berlin", "2026-12-24", BERLIN),
    ],
)
def test_a_trailing_zone_word_is_kept(text: str, day: str, zone: str) -> None:
    """A trailing `UTC` or IANA name is the zone, as typed; the rest is read as before."""
    assert at(text) == At(text, day, time(22, 0), zone)


@pytest.mark.parametrize("text", ["22:00 EST", "22:00 CET", "22:00 Mars/Olympus"])
def test_abbreviations_and_unknown_zones_are_not_zones(text: str) -> None:
    """Zone abbreviations and unknown IANA-looking names make the time unreadable."""
    assert problem("at", text) == Problem(K.BAD_TIME, text)


@pytest.mark.parametrize(
    "text",
    [
        "25:00",
        "24:00",
        "22:60",
        "22:00:60",
        "7:5",
        "22",
        "22h",
        "2026-13-01 10:00",
        "2026-02-30 10:00",
        "2026-00-10 10:00",
        "fri",
        "today",
        "blah 10:00",
        "fri 22:00 extra",
        "tomorrow fri 22:00",
        "fri 22:00 UTC extra",
        "UTC",
        "22:00 UTC UTC",
        "2026-12-24T25:00",
        "2026-12-24Tnoon",
        "noon",
    ],
)
def test_unreadable_times_are_bad_time(text: str) -> None:
    """Clocks out of range, impossible dates, no clock, unknown days, extra words: BAD_TIME."""
    assert problem("at", text) == Problem(K.BAD_TIME, text)


@pytest.mark.parametrize("keyword", ["at", "in"])
def test_nothing_after_the_keyword_is_when_missing(keyword: str) -> None:
    """No words after `at` or `in` is WHEN_MISSING, naming the keyword."""
    assert parse_when(keyword, []) == Problem(K.WHEN_MISSING, keyword)


# parse_when: durations after `in`


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("2H", 7200)],
)
def test_durations_after_in(text: str, seconds: float) -> None:
    """`in` takes one duration and gives its seconds."""
    assert parse_when("in", [text]) == After(seconds)


@pytest.mark.parametrize("text", ["0s", "0h0m", "1x", "30m 2h", "m30", "30m2h", "1h1h", "22:00"])
def test_bad_durations(text: str) -> None:
    """Zero, unknown units, two words, a unit first, units out of order: BAD_DURATION."""
    assert problem("in", text) == Problem(K.BAD_DURATION, text)


# zone_of


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (None, UTC),
        ("", UTC),
        ("UTC", UTC),
        ("Mars/Olympus", UTC),
        ("EST", UTC),
        (BERLIN, ZoneInfo(BERLIN)),
        (NY, ZoneInfo(NY)),
    ],
)
def test_zone_of(name: str | None, expected: object) -> None:
    """The requester's zone loads when it is a known IANA name; anything else is UTC."""
    assert zone_of(name) == expected


# resolve: zones


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        (NY, utc(2026, 6, 5, 2, 0)),  # 22:00 EDT (-4)
        (BERLIN, utc(2026, 6, 4, 20, 0)),  # 22:00 CEST (+2)
        (None, utc(2026, 6, 4, 22, 0)),
        ("Mars/Olympus", utc(2026, 6, 4, 22, 0)),
        ("UTC", utc(2026, 6, 4, 22, 0)),
    ],
)
def test_a_time_without_zone_is_read_in_the_requesters(
    zone: str | None, expected: datetime
) -> None:
    """`22:00` is 22:00 in the requester's zone; no zone or an unknown one is UTC."""
    assert instant(at("22:00"), zone, THU_NOON) == expected


def test_a_zone_in_the_text_beats_the_requesters() -> None:
    """`22:00 UTC` is 22:00 UTC even for someone in New York."""
    assert instant(at("22:00 UTC"), NY, THU_NOON) == utc(2026, 6, 4, 22, 0)
    assert instant(at("22:00 Europe/Berlin"), NY, THU_NOON) == utc(2026, 6, 4, 20, 0)


def test_today_is_the_requesters_today() -> None:
    """At 02:00 UTC Thursday it is still Wednesday in New York, so `today 23:00` is Wednesday's."""
    now = utc(2026, 6, 4, 2, 0)  # Wed 22:00 EDT
    assert instant(at("today 23:00"), NY, now) == utc(2026, 6, 4, 3, 0)
    assert instant(at("tomorrow 07:30"), NY, now) == utc(2026, 6, 4, 11, 30)


def test_tomorrow() -> None:
    """`tomorrow 07:30` is the next local day at 07:30."""
    assert instant(at("tomorrow 07:30"), BERLIN, THU_NOON) == utc(2026, 6, 5, 5, 30)


def test_an_explicit_offset_ignores_the_requesters_zone() -> None:
    """An ISO instant with an offset resolves to itself whatever the requester's zone."""
    when = at("2026-06-20T18:00+01:00")
    assert instant(when, NY, THU_NOON) == instant(when, BERLIN, THU_NOON) == utc(2026, 6, 20, 17)


def test_iso_without_offset_is_read_in_the_requesters_zone() -> None:
    """`2026-06-20T18:00` is 18:00 in the requester's zone."""
    assert instant(at("2026-06-20T18:00"), BERLIN, THU_NOON) == utc(2026, 6, 20, 16, 0)
    assert instant(at("2026-06-20 18:00"), NY, THU_NOON) == utc(2026, 6, 20, 22, 0)


def test_after_is_seconds_from_now() -> None:
    """`in 1h30m` is now plus 5400 seconds, in UTC."""
    assert instant(After(5400), NY, THU_NOON) == THU_NOON + timedelta(seconds=5400)


def test_now_in_another_zone_still_gives_utc() -> None:
    """A `now` with a non-UTC offset still gives a UTC result for the same instant."""
    now = THU_NOON.astimezone(timezone(timedelta(hours=5)))
    assert instant(After(60), None, now) == THU_NOON + timedelta(seconds=60)


# resolve: weekdays


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fri 22:00", utc(2026, 6, 5, 22)),  # tomorrow
        ("sat 09:00", utc(2026, 6, 6, 9)),
        ("wed 22:00", utc(2026, 6, 10, 22)),  # yesterday's weekday: six days on
        ("mon 00:00", utc(2026, 6, 8, 0)),
    ],
)
def test_a_weekday_is_the_next_one(text: str, expected: datetime) -> None:
    """A weekday means its next occurrence after today."""
    assert instant(at(text), "UTC", THU_NOON) == expected


def test_todays_weekday_still_ahead_is_today() -> None:
    """`thu 22:00` said on Thursday at noon is tonight."""
    assert instant(at("thu 22:00"), "UTC", THU_NOON) == utc(2026, 6, 4, 22)
    assert instant(at("Thursday 12:00:01"), "UTC", THU_NOON) == utc(2026, 6, 4, 12, 0, 1)


@pytest.mark.parametrize("text", ["thu 09:00", "thu 12:00"])
def test_todays_weekday_already_past_is_next_week(text: str) -> None:
    """`thu 09:00` (or exactly now) said on Thursday at noon is seven days later, not past."""
    clock = at(text).clock
    expected = datetime.combine(THU_NOON.date() + timedelta(days=7), clock, tzinfo=UTC)
    assert instant(at(text), "UTC", THU_NOON) == expected


def test_weekday_is_the_requesters_weekday() -> None:
    """At 02:00 UTC Thursday it is Wednesday evening in New York: `wed 23:00` is tonight there."""
    now = utc(2026, 6, 4, 2, 0)  # Wed 22:00 EDT
    assert instant(at("wed 23:00"), NY, now) == utc(2026, 6, 4, 3, 0)
    assert instant(at("wed 21:00"), NY, now) == utc(2026, 6, 11, 1, 0)


# resolve: past and too far


@pytest.mark.parametrize(("text", "example"), [("09:00", "09:00"), ("today 11:59:59", "11:59")])
def test_today_already_past_suggests_tomorrow(text: str, example: str) -> None:
    """A time today that has passed is TIME_PAST, suggesting the same clock tomorrow."""
    assert refused(at(text), "UTC", THU_NOON) == Problem(
        K.TIME_PAST, text, example=f"tomorrow {example}"
    )


def test_exactly_now_is_past() -> None:
    """A time equal to now is already past."""
    assert refused(at("12:00"), "UTC", THU_NOON).kind is K.TIME_PAST


def test_a_past_iso_instant_is_past() -> None:
    """An ISO instant before now is TIME_PAST, suggesting a duration instead."""
    text = "2026-06-01T10:00Z"
    assert refused(at(text), NY, THU_NOON) == Problem(K.TIME_PAST, text, example="in 1h")


def test_a_past_date_is_past() -> None:
    """A date and time before now is TIME_PAST, suggesting a duration instead."""
    text = "2026-06-01 10:00"
    assert refused(at(text), BERLIN, THU_NOON) == Problem(K.TIME_PAST, text, example="in 1h")


def test_beyond_the_horizon_is_too_far() -> None:
    """More than the horizon ahead is TIME_TOO_FAR with the limit and the last allowed date."""
    text = "2026-12-24 18:00"
    assert refused(at(text), "UTC", THU_NOON) == Problem(
        K.TIME_TOO_FAR, text, limit=90, example="2026-09-02"
    )


def test_a_duration_beyond_the_horizon_is_too_far() -> None:
    """`in 91d` is TIME_TOO_FAR with no token (nothing was typed as a time) and the last date."""
    assert refused(After(91 * 86400), None, THU_NOON) == Problem(
        K.TIME_TOO_FAR, "", limit=90, example="2026-09-02"
    )


def test_the_horizon_is_configurable() -> None:
    """A shorter horizon refuses what the default allows, naming its own limit and date."""
    text = "2026-06-20 18:00"
    assert instant(at(text), "UTC", THU_NOON) == utc(2026, 6, 20, 18)
    assert refused(at(text), "UTC", THU_NOON, 7) == Problem(
        K.TIME_TOO_FAR, text, limit=7, example="2026-06-11"
    )


def test_exactly_at_the_horizon_is_allowed() -> None:
    """A time exactly the horizon ahead is accepted; one second later is not."""
    edge = THU_NOON + timedelta(days=HORIZON_DAYS)
    assert instant(After(HORIZON_DAYS * 86400), None, THU_NOON) == edge
    assert instant(at("2026-09-02T12:00Z"), None, THU_NOON) == edge
    assert refused(at("2026-09-02T12:00:01Z"), None, THU_NOON).kind is K.TIME_TOO_FAR


# resolve: DST


@pytest.mark.parametrize(
    ("text", "zone", "example"),
    [
        ("2027-03-14 02:30", NY, "2027-03-14 03:30"),
        ("2027-03-14T02:00", NY, "2027-03-14 03:00"),
        ("2027-03-28 02:30", BERLIN, "2027-03-28 03:30"),
    ],
)
def test_a_time_in_the_dst_gap_is_refused(text: str, zone: str, example: str) -> None:
    """A local time the clocks jump over is TIME_DST_GAP, suggesting the wall time after it."""
    now = utc(2027, 3, 1)
    assert refused(at(text), zone, now) == Problem(K.TIME_DST_GAP, text, example=example, zone=zone)


def test_a_named_zone_in_the_gap_is_named() -> None:
    """The gap's zone is the one named in the text, not the requester's."""
    text = "2027-03-28 02:30 Europe/Berlin"
    found = refused(at(text), NY, utc(2027, 3, 1))
    assert found == Problem(K.TIME_DST_GAP, text, example="2027-03-28 03:30", zone=BERLIN)


def test_a_weekday_landing_in_the_gap_is_refused() -> None:
    """`sun 02:30` said in New York the Friday before the spring jump is in the gap."""
    now = utc(2027, 3, 12, 17)  # Fri 12:00 EST
    found = refused(at("sun 02:30"), NY, now)
    assert found == Problem(K.TIME_DST_GAP, "sun 02:30", example="2027-03-14 03:30", zone=NY)


def test_just_around_the_gap_is_fine() -> None:
    """01:59 before and 03:00 after the jump both exist and resolve."""
    now = utc(2027, 3, 1)
    assert instant(at("2027-03-14 01:59"), NY, now) == utc(2027, 3, 14, 6, 59)
    assert instant(at("2027-03-14 03:00"), NY, now) == utc(2027, 3, 14, 7, 0)


@pytest.mark.parametrize(
    ("text", "zone", "example"),
    [
        ("2027-11-07 01:30", NY, "2027-11-07T01:30-04:00 or 2027-11-07T01:30-05:00"),
        ("2027-10-31 02:30", BERLIN, "2027-10-31T02:30+02:00 or 2027-10-31T02:30+01:00"),
    ],
)
def test_a_time_in_the_dst_overlap_is_refused(text: str, zone: str, example: str) -> None:
    """A local time that happens twice is TIME_DST_OVERLAP, listing both instants with offsets."""
    now = utc(2027, 10, 1)
    assert refused(at(text), zone, now) == Problem(
        K.TIME_DST_OVERLAP, text, example=example, zone=zone
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-11-07T01:30-04:00", utc(2027, 11, 7, 5, 30)),
        ("2027-11-07T01:30-05:00", utc(2027, 11, 7, 6, 30)),
    ],
)
def test_an_offset_inside_the_overlap_resolves(text: str, expected: datetime) -> None:
    """Either instant the overlap example offers resolves, even for a New York requester."""
    assert instant(at(text), NY, utc(2027, 10, 1)) == expected


def test_the_overlap_examples_are_readable_back() -> None:
    """Each half of the overlap example parses as an instant and resolves."""
    found = refused(at("2027-11-07 01:30"), NY, utc(2027, 10, 1))
    first, second = found.example.split(" or ")
    assert instant(at(first), NY, utc(2027, 10, 1)) < instant(at(second), NY, utc(2027, 10, 1))


def test_utc_has_no_gaps_or_overlaps() -> None:
    """The DST dates of other zones are ordinary times in UTC."""
    now = utc(2027, 10, 1)
    assert instant(at("2027-11-07 01:30"), None, now) == utc(2027, 11, 7, 1, 30)
    assert instant(at("2027-10-31 02:30 UTC"), BERLIN, now) == utc(2027, 10, 31, 2, 30)


# Defects found by the first test pass, fixed since: each stays as a regression test.


@pytest.mark.parametrize("zone", ["UTC", BERLIN])
def test_iso_without_offset_takes_a_trailing_zone(zone: str) -> None:
    """`2026-12-24T18:00 <zone>` is 18:00 that day in that zone."""
    text = f"2026-12-24T18:00 {zone}"
    assert parse_when("at", text.split()) == At(text, "2026-12-24", time(18, 0), zone)


@pytest.mark.parametrize("name", ["America/Argentina", "America/Indiana", "America/" + "x" * 300])
def test_zone_words_the_database_cannot_open_are_not_zones(name: str) -> None:
    """`22:00 America/Argentina` is BAD_TIME, and such a requester's zone is UTC, not a crash."""
    assert parse_when("at", ["22:00", name]) == Problem(K.BAD_TIME, f"22:00 {name}")
    assert zone_of(name) is UTC


@pytest.mark.parametrize("text", ["9999-12-31T23:00-05:00", "0001-01-01T00:00+05:00"])
def test_iso_offsets_out_of_range_are_bad_time(text: str) -> None:
    """An ISO instant whose UTC form does not exist is BAD_TIME, not an exception."""
    assert parse_when("at", [text]) == Problem(K.BAD_TIME, text)


@pytest.mark.parametrize(
    ("text", "zone", "kind"),
    [
        ("9999-12-31 23:00", NY, K.TIME_TOO_FAR),
        ("0001-01-01 00:00", BERLIN, K.TIME_PAST),
    ],
)
def test_local_times_at_the_edge_of_time_are_refused(
    text: str, zone: str, kind: ProblemKind
) -> None:
    """`9999-12-31 23:00` in New York is too far and `0001-01-01 00:00` in Berlin is past."""
    assert refused(at(text), zone, THU_NOON).kind is kind


def test_too_far_names_the_last_local_day() -> None:
    """The last allowed day is given in the requester's zone, and a time on it is accepted."""
    now = utc(2026, 1, 1, 3, 0)  # 2025-12-31 19:00 in Los Angeles; horizon 2026-03-31 20:00 local
    la = "America/Los_Angeles"
    found = refused(at("2026-06-01 10:00"), la, now)
    assert found.example == "2026-03-31"
    assert isinstance(resolve(at(f"{found.example} 10:00"), la, now), datetime)


def test_past_example_keeps_the_named_zone() -> None:
    """`09:00 Europe/Berlin` already past suggests `tomorrow 09:00 Europe/Berlin`."""
    text = "09:00 Europe/Berlin"
    assert refused(at(text), NY, THU_NOON) == Problem(
        K.TIME_PAST, text, example="tomorrow 09:00 Europe/Berlin"
    )
