"""Problems with a command (``bot.core.problems``) in words: one mrkdwn line each.

Every echoed token goes through ``code``: escaped, clipped to about 40 characters and kept inside
one code span, so whatever was typed shows as text and never as a mention, a link or markup.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.blocks.text import code, escape
from bot.core.parser import EXAMPLE_ID, ParseError
from bot.core.problems import Problem, ProblemKind

ECHO_LIMIT = 40
_STATUS_EXAMPLE = "`/bms status 2c9eb2c5544cbf61`"


def _echo(token: str) -> str:
    """A token as the user typed it, safe to show: escaped, clipped, in a code span."""
    return code(token, ECHO_LIMIT)


def _points(problem: Problem) -> str:
    """The invisible code points (``U+202E``…), escaped like everything else that is echoed."""
    return escape(", ".join(problem.code_points))


_WORDS: dict[ProblemKind, Callable[[Problem], str]] = {
    ProblemKind.NOT_A_COMMAND: lambda p: (
        f"{_echo(p.token)} is not a command: use `stop`, `schedule`, `cancel`, `postpone`, "
        "`status` or `help`"
    ),
    ProblemKind.STOP_FIRST: lambda _: (
        f"Start with `stop` to stop servers, e.g. `/bms stop {EXAMPLE_ID}`"
    ),
    ProblemKind.BAD_OPTION: lambda p: (
        f"{_echo(p.token)} is not an option (use `--soft` or `--hard`)"
    ),
    ProblemKind.INVISIBLE_CHARACTERS: lambda p: (
        f"{_echo(p.token)} contains invisible characters ({_points(p)}): retype it"
    ),
    ProblemKind.NOT_A_SERVER_ID: lambda p: (
        f"{_echo(p.token)} is not a server id (expected a UUID such as {EXAMPLE_ID})"
    ),
    ProblemKind.BAD_TAG: lambda p: (
        f"{_echo(p.token)} is not a tag: write `tag:key=value` or `tag:key` (a key of "
        "at most 128 characters, nothing invisible), e.g. `tag:env=staging`"
    ),
    ProblemKind.NO_TAGGED_SERVERS: lambda p: (
        f"No server carries {_echo(p.token)}: check the tag (keys and values are "
        "case-sensitive) in the console. Nothing was stopped."
    ),
    ProblemKind.TOO_MANY_TAGGED: lambda p: (
        f"{_echo(p.token)} selects {p.count:,} servers: the limit is {p.limit:,} per request, "
        "so add a tag to narrow it down. Nothing was stopped."
    ),
    ProblemKind.MORE_BAD_TOKENS: lambda p: f"…and {p.count:,} more that are not server ids",
    ProblemKind.REASON_EMPTY: lambda _: "`reason:` needs some text after it",
    ProblemKind.REASON_TOO_LONG: lambda p: (
        f"The reason is {p.count:,} characters; the limit is {p.limit}"
    ),
    ProblemKind.NO_SERVER_IDS: lambda _: (
        "`/bms stop` needs at least one server id or `tag:key=value`"
    ),
    ProblemKind.NO_SERVER_IDS_REASON_FIRST: lambda _: (
        "`/bms stop` needs at least one server id (put `reason:` last)"
    ),
    ProblemKind.TOO_MANY_IDS: lambda p: (
        f"{p.count:,} server ids is too many: the limit is {p.limit:,} per request, "
        "so split them into several requests"
    ),
    ProblemKind.SOFT_AND_HARD: lambda _: "Use either `--soft` or `--hard`, not both",
    ProblemKind.BREAK_GLASS_NEEDS_REASON: lambda _: (
        "`--break-glass` needs a `reason:` (the approvers review it afterwards), e.g. "
        "`--break-glass reason: db outage, no approver awake`"
    ),
    ProblemKind.AUDIT_COUNT: lambda p: (
        f"`/bms audit` takes how many entries to show, 1 to {p.limit}; not {_echo(p.token)}"
    ),
    ProblemKind.STATUS_NEEDS_JOB: lambda _: f"`/bms status` needs a job id, e.g. {_STATUS_EXAMPLE}",
    ProblemKind.STATUS_EXTRA_TOKENS: lambda p: (
        f"`/bms status` takes exactly one job id; remove {_echo(p.token)}"
    ),
    ProblemKind.WHEN_MISSING: lambda p: (
        f"`{p.token}` needs a time after it, e.g. `at 22:00`, `at fri 22:00` or `in 2h`"
    ),
    ProblemKind.BAD_DURATION: lambda p: (
        f"{_echo(p.token)} is not a duration; write it like `90s`, `30m`, `2h`, `1d` or `1h30m`"
    ),
    ProblemKind.BAD_TIME: lambda p: (
        f"{_echo(p.token)} is not a time I can read; write it like `22:00`, `tomorrow 07:30`, "
        "`fri 22:00`, `2026-12-24 18:00` or `2026-12-24T18:00+01:00`"
    ),
    ProblemKind.TIME_PAST: lambda p: (
        f"{_echo(p.token) + ' is' if p.token else 'That time is'} in the past; "
        f"try `{escape(p.example)}`"
    ),
    ProblemKind.TIME_TOO_FAR: lambda p: (
        f"{_echo(p.token) + ' is' if p.token else 'That is'} more than {p.limit} days ahead; "
        f"the latest day a stop can be scheduled for is {escape(p.example) or 'sooner'}"
    ),
    ProblemKind.TIME_DST_GAP: lambda p: (
        f"{_echo(p.token)} does not exist in {escape(p.zone)}: the clocks jump forward over it "
        f"that night; try `{escape(p.example)}`"
    ),
    ProblemKind.TIME_DST_OVERLAP: lambda p: (
        f"{_echo(p.token)} happens twice in {escape(p.zone)} (the clocks go back that night); "
        f"say which with its offset: `{escape(p.example)}`"
    ),
    ProblemKind.AT_AND_IN: lambda _: "Give either `at <time>` or `in <duration>`, once",
    ProblemKind.NEEDS_REQUEST_ID: lambda p: (
        f"`/bms {escape(p.token)}` needs the id of a scheduled stop, e.g. "
        f"`/bms {escape(p.token)} req_0123456789ab` (`/bms schedule` lists them)"
    ),
    ProblemKind.NOT_A_REQUEST_ID: lambda p: (
        f"{_echo(p.token)} is not a request id (they look like `req_0123456789ab`; "
        "`/bms schedule` lists them)"
    ),
    ProblemKind.POSTPONE_NEEDS_TIME: lambda _: (
        "`/bms postpone <id>` needs a new time or how much later, e.g. `2h` or `fri 22:00`"
    ),
    ProblemKind.EXTRA_WORDS: lambda p: (
        f"`/bms {escape(p.example)}` takes nothing more; remove {_echo(p.token)}"
    ),
    ProblemKind.NOT_A_JOB_ID: lambda p: (
        f"{_echo(p.token)} is not a job id (letters, digits and dashes, up to 64, "
        "starting with a letter or a digit)"
    ),
}


def problem_line(problem: Problem) -> str:
    """One problem as a mrkdwn line."""
    return _WORDS[problem.kind](problem)


def problem_lines(error: ParseError) -> tuple[str, ...]:
    """Every problem of a command that could not be read, in order."""
    return tuple(problem_line(p) for p in error.problems)
