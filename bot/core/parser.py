"""Parse the text of ``/bms …`` and ``@bms-bot …`` into a command, or say exactly what is wrong.

Grammar (first word case-insensitive; empty text is ``help``)::

    stop <server-id | tag:<key>[=<value>]> […] [--soft | --hard] [--break-glass]
         [at <time> | in <duration>] [reason: <text>]
    schedule
    cancel <request-id>
    postpone <request-id> <time | duration>
    status <job-id>
    audit [<n>]
    help

Server ids are UUIDs, separated by any mix of spaces, commas, semicolons and newlines, optionally
wrapped in backticks, quotes or brackets (people paste from code blocks and lists). ``tag:env=ci``
selects every server carrying that tag (``tag:env``: any value of ``env``); several tags select the
servers carrying all of them, and ids named beside them are added. ``reason:``
takes the rest of the text. Slack escapes ``& < >`` as entities in command text; they are undone
first.

``at`` and ``in`` make a stop a scheduled one; the words after them are ``bot.core.when``'s.

``ParseError.problems`` are data (``bot.core.problems``): the tokens as typed, never formatted.
``bot.blocks.problems`` words them, escaping every echoed token, so a hostile token such as
``<!channel>`` is shown as text and can never become a mention or a link.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from bot.bms.models import is_job_id
from bot.core.problems import Problem, ProblemKind
from bot.core.tags import is_tag
from bot.core.when import After, When, parse_when

USAGE = (
    "/bms stop <server-id|tag:key=value> […] [--soft] [--break-glass] [at <time> | in <duration>]"
    " [reason: <text>] · /bms schedule · /bms cancel <id> · /bms postpone <id> <time>"
    " · /bms status <job-id> · /bms audit [n] · /bms help"
)
EXAMPLE_ID = "616fb98f-46ca-475e-917e-2563e5a8cd19"
MAX_IDS = 10_000
MAX_REASON = 500
MAX_SHOWN_PROBLEMS = 5
AUDIT_DEFAULT = 20
AUDIT_MAX = 100

_REQUEST_ID = re.compile(r"req_[0-9a-f]{12}", re.I | re.A)
_WHEN_WORDS = ("at", "in")
_POSTPONE_FILLERS = ("to", "at", "by", "until")
_TAG = re.compile(r"tag:(?P<tag>.*)", re.I | re.S)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I | re.A)
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
    break_glass: bool = False  # skip the approval; the approvers review it afterwards
    when: When | None = None  # ``at``/``in``: a scheduled stop; None: now
    tags: tuple[str, ...] = ()  # ``tag:`` selectors, as typed after the prefix (case kept)


@dataclass(frozen=True, slots=True)
class ScheduleCommand:
    """List the upcoming scheduled stops in this channel."""


@dataclass(frozen=True, slots=True)
class CancelCommand:
    """Cancel a scheduled stop, as its Cancel button does."""

    request_id: str


@dataclass(frozen=True, slots=True)
class PostponeCommand:
    """Move a scheduled stop later: to a time, or (``After``) by a duration."""

    request_id: str
    when: When


@dataclass(frozen=True, slots=True)
class StatusCommand:
    """Show a BMS job's state; the id is opaque (``bot.bms.models.is_job_id``)."""

    job_id: str


@dataclass(frozen=True, slots=True)
class AuditCommand:
    """Show the newest ``count`` audit entries (to the policy's audit readers)."""

    count: int = AUDIT_DEFAULT


@dataclass(frozen=True, slots=True)
class HelpCommand:
    """Show how to use the bot."""


@dataclass(frozen=True, slots=True)
class ParseError:
    """What was wrong, one problem each, and the usage line to show with it."""

    problems: tuple[Problem, ...]
    usage: str = USAGE


Command = (
    StopCommand
    | StatusCommand
    | AuditCommand
    | HelpCommand
    | ScheduleCommand
    | CancelCommand
    | PostponeCommand
    | ParseError
)


def unescape(text: str) -> str:
    """Undo Slack's escaping of ``&``, ``<`` and ``>`` in command and message text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def is_invisible(ch: str) -> bool:
    """Control and format characters (bidi marks, zero-width joiners…): nothing a reader can see."""
    return unicodedata.category(ch) in ("Cc", "Cf")


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
    parse = _VERBS.get(verb)
    if parse is not None:
        return parse(rest)
    if verb in ("schedule", "schedules", "scheduled"):
        return _no_more(verb, rest) or ScheduleCommand()
    if _UUID.fullmatch(_unwrap(first)):
        return ParseError((Problem(ProblemKind.STOP_FIRST),))
    return ParseError((Problem(ProblemKind.NOT_A_COMMAND, first),))


def _verbs() -> dict[str, Callable[[str], Command]]:
    return {
        "stop": _parse_stop,
        "status": _parse_status,
        "audit": _parse_audit,
        "cancel": _parse_cancel,
        "postpone": _parse_postpone,
    }


def _split_first(text: str) -> tuple[str, str]:
    """The first word and the rest of the text."""
    parts = _SEPARATORS.split(text.strip(), maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def _unwrap(token: str) -> str:
    return token.strip(_WRAPPERS)


def _tokens(text: str) -> list[str]:
    return [t for t in _SEPARATORS.split(text) if t]


def _parse_stop(rest: str) -> StopCommand | ParseError:
    body, reason, problems = _take_reason(rest)
    ids: dict[str, None] = {}  # insertion-ordered set: duplicates keep their first place
    tags: dict[str, None] = {}
    bad_tags = False
    bad: list[str] = []
    flags: set[str] = set()
    keywords: list[str] = []
    when_words: list[str] = []
    for token in _tokens(body):
        bare = _unwrap(token)
        option = _option(bare)
        if option in ("--soft", "--hard", "--break-glass"):
            flags.add(option)
        elif option is not None:
            bad.append(token)
        elif bare.lower() in _WHEN_WORDS:
            keywords.append(bare.lower())
        elif keywords:
            when_words.append(bare)
        elif _UUID.fullmatch(bare):
            ids.setdefault(bare.lower())
        elif tag := _TAG.fullmatch(bare):
            selector = tag["tag"]
            if _good_tag(selector):
                tags.setdefault(selector)
            else:
                problems.append(Problem(ProblemKind.BAD_TAG, token))
                bad_tags = True
        elif bare:
            bad.append(token)
    problems.extend(_token_problems(list(dict.fromkeys(bad))))
    problems.extend(_stop_shape_problems(ids, flags, reason, any_bad=bool(bad or tags) or bad_tags))
    when = _when(keywords, when_words)
    if isinstance(when, Problem):
        problems.append(when)
    if problems:
        return ParseError(tuple(problems))
    assert not isinstance(when, Problem)
    glass = "--break-glass" in flags
    soft = "--soft" in flags
    return StopCommand(
        tuple(ids), soft=soft, reason=reason, break_glass=glass, when=when, tags=tuple(tags)
    )


def _good_tag(selector: str) -> bool:
    """``key`` or ``key=value`` (``bot.core.tags``), with nothing invisible in it."""
    return is_tag(selector) and not any(is_invisible(c) for c in selector)


def _when(keywords: list[str], words: list[str]) -> When | Problem | None:
    """``at …`` or ``in …``, once; None when neither was given."""
    if not keywords:
        return None
    if len(set(keywords)) > 1 or len(keywords) > 1:
        return Problem(ProblemKind.AT_AND_IN)
    return parse_when(keywords[0], words)


def _option(token: str) -> str | None:
    """``--soft``-style options, lower-cased, dashes as typed on macOS normalised; else None."""
    for dash in _DASHES:
        if token.startswith(dash):
            token = "--" + token[len(dash) :]
    return token.lower() if token.startswith("-") else None


def _take_reason(rest: str) -> tuple[str, str | None, list[Problem]]:
    match = _REASON.search(rest)
    if match is None:
        return rest, None, []
    reason = " ".join("".join(c for c in rest[match.end() :] if not _is_control(c)).split())
    if not reason:
        return rest[: match.start()], None, [Problem(ProblemKind.REASON_EMPTY)]
    if len(reason) > MAX_REASON:
        too_long = Problem(ProblemKind.REASON_TOO_LONG, count=len(reason), limit=MAX_REASON)
        return rest[: match.start()], None, [too_long]
    return rest[: match.start()], reason, []


def _is_control(ch: str) -> bool:
    """Control characters and bidi overrides; zero-width joiners stay (emoji are made of them)."""
    return is_invisible(ch) and ch not in "\u200c\u200d" and not ch.isspace()


def _token_problems(bad: list[str]) -> list[Problem]:
    problems = [_why(t) for t in bad[:MAX_SHOWN_PROBLEMS]]
    if len(bad) > MAX_SHOWN_PROBLEMS:
        problems.append(Problem(ProblemKind.MORE_BAD_TOKENS, count=len(bad) - MAX_SHOWN_PROBLEMS))
    return problems


def _why(token: str) -> Problem:
    bare = _unwrap(token)
    if bare.startswith("-") or bare.startswith(_DASHES):
        return Problem(ProblemKind.BAD_OPTION, token)
    hidden = sorted({f"U+{ord(c):04X}" for c in bare if is_invisible(c)})
    if hidden:
        return Problem(ProblemKind.INVISIBLE_CHARACTERS, token, code_points=tuple(hidden[:3]))
    return Problem(ProblemKind.NOT_A_SERVER_ID, token)


def _stop_shape_problems(
    ids: dict[str, None], flags: set[str], reason: str | None, *, any_bad: bool
) -> list[Problem]:
    problems = []
    if not ids and not any_bad:  # bad tokens already say what is wrong
        swallowed = bool(reason and _UUID.search(reason))
        kind = ProblemKind.NO_SERVER_IDS_REASON_FIRST if swallowed else ProblemKind.NO_SERVER_IDS
        problems.append(Problem(kind))
    if len(ids) > MAX_IDS:
        problems.append(Problem(ProblemKind.TOO_MANY_IDS, count=len(ids), limit=MAX_IDS))
    if {"--soft", "--hard"} <= flags:
        problems.append(Problem(ProblemKind.SOFT_AND_HARD))
    if "--break-glass" in flags and not reason:
        problems.append(Problem(ProblemKind.BREAK_GLASS_NEEDS_REASON))
    return problems


def _parse_status(rest: str) -> StatusCommand | ParseError:
    tokens = [t for t in _tokens(rest) if _unwrap(t)]
    if not tokens:
        return ParseError((Problem(ProblemKind.STATUS_NEEDS_JOB),))
    if len(tokens) > 1:
        extra = " ".join(tokens[1:4])
        return ParseError((Problem(ProblemKind.STATUS_EXTRA_TOKENS, extra),))
    job_id = _unwrap(tokens[0])
    if not is_job_id(job_id):
        return ParseError((Problem(ProblemKind.NOT_A_JOB_ID, tokens[0]),))
    return StatusCommand(job_id)


def _parse_audit(rest: str) -> AuditCommand | ParseError:
    tokens = [_unwrap(t) for t in _tokens(rest) if _unwrap(t)]
    if not tokens:
        return AuditCommand()
    if len(tokens) == 1 and tokens[0].isascii() and tokens[0].isdigit():
        count = int(tokens[0])
        if 1 <= count <= AUDIT_MAX:
            return AuditCommand(count)
    bad = Problem(ProblemKind.AUDIT_COUNT, " ".join(tokens[:3]), limit=AUDIT_MAX)
    return ParseError((bad,))


def _no_more(verb: str, rest: str) -> ParseError | None:
    """A command that takes nothing: the extra words are named."""
    extra = [_unwrap(t) for t in _tokens(rest) if _unwrap(t)]
    if not extra:
        return None
    return ParseError((Problem(ProblemKind.EXTRA_WORDS, " ".join(extra[:3]), example=verb),))


def _request_id(verb: str, tokens: list[str]) -> str | Problem:
    if not tokens:
        return Problem(ProblemKind.NEEDS_REQUEST_ID, verb)
    if not _REQUEST_ID.fullmatch(tokens[0]):
        return Problem(ProblemKind.NOT_A_REQUEST_ID, tokens[0])
    return tokens[0].lower()


def _parse_cancel(rest: str) -> CancelCommand | ParseError:
    tokens = [_unwrap(t) for t in _tokens(rest) if _unwrap(t)]
    found = _request_id("cancel", tokens)
    if isinstance(found, Problem):
        return ParseError((found,))
    if len(tokens) > 1:
        extra = Problem(ProblemKind.EXTRA_WORDS, " ".join(tokens[1:4]), example="cancel <id>")
        return ParseError((extra,))
    return CancelCommand(found)


def _parse_postpone(rest: str) -> PostponeCommand | ParseError:
    """``postpone <id> 2h`` (later by), ``postpone <id> [to] fri 22:00`` (to that time)."""
    tokens = [_unwrap(t) for t in _tokens(rest) if _unwrap(t)]
    found = _request_id("postpone", tokens)
    if isinstance(found, Problem):
        return ParseError((found,))
    words = tokens[1:]
    if words and words[0].lower() in _POSTPONE_FILLERS:
        words = words[1:]
    when = parse_postponement(words)
    if isinstance(when, Problem):
        return ParseError((when,))
    return PostponeCommand(found, when)


def parse_postponement(words: list[str]) -> When | Problem:
    """A new time for a schedule (the command's, or the Postpone modal's): a duration moves it
    later by that much, ``in <duration>`` puts it that long from now, anything else is a time
    as after ``at``."""
    if not words:
        return Problem(ProblemKind.POSTPONE_NEEDS_TIME)
    if words[0].lower() == "in":  # as for `stop … in 2h`: from now
        soon = parse_when("in", words[1:])
        return dataclasses.replace(soon, from_now=True) if isinstance(soon, After) else soon
    if len(words) == 1:
        by = parse_when("in", words)
        if isinstance(by, After):
            return by
    return parse_when("at", words)


_VERBS = _verbs()
