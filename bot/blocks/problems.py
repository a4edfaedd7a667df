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
        f"{_echo(p.token)} is not a command: use `stop`, `status` or `help`"
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
    ProblemKind.MORE_BAD_TOKENS: lambda p: f"…and {p.count:,} more that are not server ids",
    ProblemKind.REASON_EMPTY: lambda _: "`reason:` needs some text after it",
    ProblemKind.REASON_TOO_LONG: lambda p: (
        f"The reason is {p.count:,} characters; the limit is {p.limit}"
    ),
    ProblemKind.NO_SERVER_IDS: lambda _: "`/bms stop` needs at least one server id",
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
