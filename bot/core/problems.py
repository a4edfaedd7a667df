"""What can be wrong with a command, as data: the parser finds problems, the builders word them.

Tokens are kept exactly as the person typed them; ``bot.blocks.problems`` escapes and clips them
when it writes the mrkdwn line, so nothing here is formatted for Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ProblemKind(StrEnum):
    NOT_A_COMMAND = "not_a_command"  # token: the first word
    STOP_FIRST = "stop_first"  # the text starts with a server id: `stop` was forgotten
    BAD_OPTION = "bad_option"  # token: starts with a dash but is not --soft / --hard
    INVISIBLE_CHARACTERS = "invisible_characters"  # token, code_points: "U+202E", …
    NOT_A_SERVER_ID = "not_a_server_id"  # token
    BAD_TAG = "bad_tag"  # token: a tag: selector with no key, invisible characters or too long
    MORE_BAD_TOKENS = "more_bad_tokens"  # count: bad tokens beyond those named
    REASON_EMPTY = "reason_empty"
    REASON_TOO_LONG = "reason_too_long"  # count: its length; limit
    NO_SERVER_IDS = "no_server_ids"
    NO_SERVER_IDS_REASON_FIRST = "no_server_ids_reason_first"  # the ids went into the reason
    TOO_MANY_IDS = "too_many_ids"  # count, limit
    SOFT_AND_HARD = "soft_and_hard"
    BREAK_GLASS_NEEDS_REASON = "break_glass_needs_reason"
    AUDIT_COUNT = "audit_count"  # token: what came instead of a number; limit
    STATUS_NEEDS_JOB = "status_needs_job"
    STATUS_EXTRA_TOKENS = "status_extra_tokens"  # token: the first extra words, joined
    NOT_A_JOB_ID = "not_a_job_id"  # token
    # When a scheduled stop runs (bot/core/when.py): token is what was typed.
    WHEN_MISSING = "when_missing"  # token: "at" or "in", with nothing after it
    BAD_DURATION = "bad_duration"
    BAD_TIME = "bad_time"
    TIME_PAST = "time_past"  # example: a time that would work
    TIME_TOO_FAR = "time_too_far"  # limit: the horizon in days; example: its last day
    TIME_DST_GAP = "time_dst_gap"  # zone; example: the first time after the gap
    TIME_DST_OVERLAP = "time_dst_overlap"  # zone; example: the two instants, with offsets
    AT_AND_IN = "at_and_in"  # both `at` and `in` were given
    # Schedules by id: /bms cancel <id>, /bms postpone <id> <time|duration>.
    NEEDS_REQUEST_ID = "needs_request_id"  # token: the verb
    NOT_A_REQUEST_ID = "not_a_request_id"  # token
    POSTPONE_NEEDS_TIME = "postpone_needs_time"
    EXTRA_WORDS = "extra_words"  # token: the extra words; limit unused
    # What a tag selector found (bot/stops/select.py).
    NO_TAGGED_SERVERS = "no_tagged_servers"  # token: the selectors, as typed
    TOO_MANY_TAGGED = "too_many_tagged"  # token: the selectors; count; limit


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a command; which fields matter depends on ``kind``."""

    kind: ProblemKind
    token: str = ""
    count: int = 0
    limit: int = 0
    code_points: tuple[str, ...] = ()
    example: str = ""  # something that would work instead
    zone: str = ""  # the time zone a time was read in
