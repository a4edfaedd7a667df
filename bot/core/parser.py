"""Parse the text of ``/bms …`` and ``@bms-bot …`` into a command, or say exactly what is wrong.

Grammar (first word case-insensitive; empty text is ``help``)::

    stop <server-id> [<server-id> …] [--soft | --hard] [reason: <text>]
    status <job-id>
    help

Server ids are UUIDs, separated by any mix of spaces, commas, semicolons and newlines, optionally
wrapped in backticks, quotes or brackets (people paste from code blocks and lists). ``reason:``
takes the rest of the text. Slack escapes ``& < >`` as entities in command text; they are undone
first.

``ParseError.problems`` are mrkdwn: every echoed token is escaped and clipped, so a hostile token
such as ``<!channel>`` is shown as text and can never become a mention or a link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.blocks.text import code, is_invisible, unescape

USAGE = (
    "/bms stop <server-id> [<server-id> …] [--soft] [reason: <text>]"
    " · /bms status <job-id> · /bms help"
)
EXAMPLE_ID = "616fb98f-46ca-475e-917e-2563e5a8cd19"
MAX_IDS = 5000
MAX_REASON = 500
MAX_SHOWN_PROBLEMS = 5
ECHO_LIMIT = 40

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I | re.A)
_JOB_ID = re.compile(r"[A-Za-z0-9-]{1,64}", re.A)
# Zero-width spaces and joiners separate like spaces: they come with copy-paste, never on purpose.
_SEPARATORS = re.compile(r"[\s,;\u200b\u200c\u200d\u2060\ufeff]+")
_REASON = re.compile(r"(?:^|(?<=[\s,;]))reason:", re.I)
_MENTION = re.compile(r"^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>\s*", re.A)
_WRAPPERS = "`'\"\u201c\u201d\u2018\u2019\u00ab\u00bb[](){}"  # ASCII and typographic quotes
_DASHES = ("\u2014", "\u2013")  # Slack on macOS turns "--" into an em or en dash as you type


@dataclass(frozen=True, slots=True)
class StopCommand:
    """Unique lower-case server ids in the order given; ``reason`` is raw text: escape to show."""

    server_ids: tuple[str, ...]
    soft: bool
    reason: str | None


@dataclass(frozen=True, slots=True)
class StatusCommand:
    """Show a BMS job's state; the id is opaque (letters, digits, dashes)."""

    job_id: str


@dataclass(frozen=True, slots=True)
class HelpCommand:
    """Show how to use the bot."""


@dataclass(frozen=True, slots=True)
class ParseError:
    """What was wrong, one mrkdwn line per problem, and the usage line to show with it."""

    problems: tuple[str, ...]
    usage: str = USAGE


Command = StopCommand | StatusCommand | HelpCommand | ParseError


def strip_mention(text: str) -> str:
    """Drop the leading ``<@U…>`` or ``<@U…|name>`` that ``app_mention`` text starts with."""
    return _MENTION.sub("", text, count=1)


def parse_command(text: str) -> Command:
    """Turn command text into a ``Command``; never raises, whatever the input."""
    plain = unescape(text).strip()
    first, rest = _split_first(plain)
    if first.lower() == "/bms":  # "@bms-bot /bms stop …" is a natural slip
        first, rest = _split_first(rest)
    verb = first.lower()
    if verb in ("", "help"):
        return HelpCommand()
    if verb == "stop":
        return _parse_stop(rest)
    if verb == "status":
        return _parse_status(rest)
    if _UUID.fullmatch(_unwrap(first)):
        return ParseError((f"Start with `stop` to stop servers, e.g. `/bms stop {EXAMPLE_ID}`",))
    return ParseError((f"{_echo(first)} is not a command: use `stop`, `status` or `help`",))


def _split_first(text: str) -> tuple[str, str]:
    """The first word and the rest of the text."""
    parts = _SEPARATORS.split(text.strip(), maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def _unwrap(token: str) -> str:
    return token.strip(_WRAPPERS)


def _echo(token: str) -> str:
    """A token as the user typed it, safe to show: escaped, clipped, in a code span."""
    return code(token, ECHO_LIMIT)


def _tokens(text: str) -> list[str]:
    return [t for t in _SEPARATORS.split(text) if t]


def _parse_stop(rest: str) -> StopCommand | ParseError:
    body, reason, problems = _take_reason(rest)
    ids: dict[str, None] = {}  # insertion-ordered set: duplicates keep their first place
    bad: list[str] = []
    flags: set[str] = set()
    for token in _tokens(body):
        bare = _unwrap(token)
        option = _option(bare)
        if option in ("--soft", "--hard"):
            flags.add(option)
        elif option is not None:
            bad.append(token)
        elif _UUID.fullmatch(bare):
            ids.setdefault(bare.lower())
        elif bare:
            bad.append(token)
    problems.extend(_token_problems(list(dict.fromkeys(bad))))
    problems.extend(_stop_shape_problems(ids, flags, reason, any_bad=bool(bad)))
    if problems:
        return ParseError(tuple(problems))
    return StopCommand(tuple(ids), soft="--soft" in flags, reason=reason)


def _option(token: str) -> str | None:
    """``--soft``-style options, lower-cased, dashes as typed on macOS normalised; else None."""
    for dash in _DASHES:
        if token.startswith(dash):
            token = "--" + token[len(dash) :]
    return token.lower() if token.startswith("-") else None


def _take_reason(rest: str) -> tuple[str, str | None, list[str]]:
    match = _REASON.search(rest)
    if match is None:
        return rest, None, []
    reason = " ".join("".join(c for c in rest[match.end() :] if not _is_control(c)).split())
    if not reason:
        return rest[: match.start()], None, ["`reason:` needs some text after it"]
    if len(reason) > MAX_REASON:
        too_long = f"The reason is {len(reason):,} characters; the limit is {MAX_REASON}"
        return rest[: match.start()], None, [too_long]
    return rest[: match.start()], reason, []


def _is_control(ch: str) -> bool:
    """Control characters and bidi overrides; zero-width joiners stay (emoji are made of them)."""
    return is_invisible(ch) and ch not in "\u200c\u200d" and not ch.isspace()


def _token_problems(bad: list[str]) -> list[str]:
    problems = [f"{_echo(t)} {_why(t)}" for t in bad[:MAX_SHOWN_PROBLEMS]]
    if len(bad) > MAX_SHOWN_PROBLEMS:
        problems.append(f"…and {len(bad) - MAX_SHOWN_PROBLEMS:,} more that are not server ids")
    return problems


def _why(token: str) -> str:
    bare = _unwrap(token)
    if bare.startswith("-") or bare.startswith(_DASHES):
        return "is not an option (use `--soft` or `--hard`)"
    hidden = sorted({f"U+{ord(c):04X}" for c in bare if is_invisible(c)})
    if hidden:
        return f"contains invisible characters ({', '.join(hidden[:3])}): retype it"
    return f"is not a server id (expected a UUID such as {EXAMPLE_ID})"


def _stop_shape_problems(
    ids: dict[str, None], flags: set[str], reason: str | None, *, any_bad: bool
) -> list[str]:
    problems = []
    if not ids and not any_bad:  # bad tokens already say what is wrong
        hint = " (put `reason:` last)" if reason and _UUID.search(reason) else ""
        problems.append(f"`/bms stop` needs at least one server id{hint}")
    if len(ids) > MAX_IDS:
        problems.append(
            f"{len(ids):,} server ids is too many: the limit is {MAX_IDS:,} per request, "
            "so split them into several requests"
        )
    if {"--soft", "--hard"} <= flags:
        problems.append("Use either `--soft` or `--hard`, not both")
    return problems


def _parse_status(rest: str) -> StatusCommand | ParseError:
    tokens = [t for t in _tokens(rest) if _unwrap(t)]
    if not tokens:
        return ParseError(("`/bms status` needs a job id, e.g. `/bms status 2c9eb2c5544cbf61`",))
    if len(tokens) > 1:
        extra = _echo(" ".join(tokens[1:4]))
        return ParseError((f"`/bms status` takes exactly one job id; remove {extra}",))
    job_id = _unwrap(tokens[0])
    if not _JOB_ID.fullmatch(job_id):
        return ParseError(
            (f"{_echo(tokens[0])} is not a job id (letters, digits and dashes, up to 64)",)
        )
    return StatusCommand(job_id)
