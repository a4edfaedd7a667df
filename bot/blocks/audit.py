"""The audit trail in Slack: one compact line per entry, the newest that fit, and the refusal for
someone who may not read it.

A line says when (a Slack date, in the reader's time zone, with an ISO 8601 UTC fallback), what,
who, which request, how many servers, the deciding rule and a short detail. Everything stored
came from people or the cloud, so all of it is escaped; the full trail is ``bms-bot audit export``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from bot.blocks.message import (
    MESSAGE_BUDGET,
    Block,
    Message,
    blocks_size,
    build,
    context,
    header,
    section,
    sections_from_lines,
)
from bot.blocks.text import clip, code, inline, plural, user_mention
from bot.core.audit import AuditEntry, AuditEvent

TITLE = "Audit trail"
MAX_LINES = 100
_RESERVE = 1_000  # the header, the context lines and the fallback
_SHOWN_TARGETS = 3
_DETAIL_MAX = 160
REFUSED = "🔒 Only the audit readers named in the policy (`[audit] readers`) may read the audit."


def audit_date(at: float) -> str:
    """A Slack date token for ``at`` with its ISO 8601 UTC time as the fallback text."""
    iso = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"<!date^{int(at)}^{{date_short_pretty}} {{time}}|{iso}>"


def _who(e: AuditEvent) -> str:
    if e.actor_id is None:
        return "the bot"
    mention = user_mention(e.actor_id)
    if mention == "someone" and e.actor_name:
        return inline(e.actor_name, 40)
    return mention


def _servers(e: AuditEvent, names: Mapping[str, str]) -> str | None:
    count = e.count or len(e.targets)
    if not count:
        return None
    servers = plural(count, "server")
    if 0 < len(e.targets) <= _SHOWN_TARGETS:
        servers += " (" + ", ".join(inline(names.get(t, t), 40) for t in e.targets) + ")"
    return f"{servers}, {inline(e.stop_type, 8)}" if e.stop_type else servers


def _detail(e: AuditEvent) -> str | None:
    parts = [f"“{inline(e.reason, 60)}”"] if e.reason else []
    parts += [f"{inline(k, 24)}: {inline(v, 60)}" for k, v in e.detail.items()]
    return clip(", ".join(parts), _DETAIL_MAX) if parts else None


def audit_line(entry: AuditEntry, names: Mapping[str, str]) -> str:
    """One entry: when, what, who, request, servers, rule, detail."""
    e = entry.event
    parts = [f"{audit_date(e.at)} *{e.kind.value.replace('_', ' ')}* by {_who(e)}"]
    parts += [code(e.request_id, 40)] if e.request_id else []
    parts += [s] if (s := _servers(e, names)) else []
    parts += [f"rule {code(e.rule, 60)}"] if e.rule else []
    parts += [d] if (d := _detail(e)) else []
    return f"`#{entry.seq}` " + " · ".join(parts)


def _newest_that_fit(lines: Sequence[str], budget: int) -> tuple[list[Block], int]:
    """Sections of the newest lines that fit ``budget``, and how many older ones were left out."""
    low, high = 0, min(len(lines), MAX_LINES)
    while low < high:  # the size only grows with the count: binary search the largest that fits
        mid = (low + high + 1) // 2
        if blocks_size(sections_from_lines(lines[len(lines) - mid :])) <= budget:
            low = mid
        else:
            high = mid - 1
    return sections_from_lines(lines[len(lines) - low :]), len(lines) - low


def audit_message(
    entries: Sequence[AuditEntry],
    names: Mapping[str, str] | None = None,
    *,
    request_id: str | None = None,
) -> Message:
    """Entries (oldest first) as compact lines, the newest that fit; ``names`` gives server
    names for entries about a few servers; ``request_id`` says the entries are one request's."""
    about = f" of {inline(request_id, 40)}" if request_id else ""
    if not entries:
        return build(f"Audit trail{about}: no entries", [header(TITLE), section("No entries.")])
    count = plural(len(entries), "entry", "entries")
    scope = f"Request {code(request_id, 40)} · " if request_id else ""
    head = [header(TITLE), context(f"{scope}{count}, oldest first · times in your time zone")]
    lines = [audit_line(entry, names or {}) for entry in entries]
    shown, hidden = _newest_that_fit(lines, MESSAGE_BUDGET - _RESERVE - blocks_size(head))
    note = f"…and {hidden:,} older entries: `bms-bot audit export` writes every one"
    tail = [context(note)] if hidden else []
    return build(f"Audit trail{about}: {count}", [*head, *shown, *tail])


def audit_refused_message() -> Message:
    """For someone the policy does not name as an audit reader."""
    return build(REFUSED, [section(REFUSED)])
