"""The final per-server report, split into as many thread posts as it takes to list every server.

Part 1 opens with the counts and the failures (grouped by explanation, so a long text appears once
per group, not once per server); then come unknown and pending servers, then the stopped ones, one
compact row each. Every server appears in exactly one row of exactly one part.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.blocks.message import (
    MAX_BLOCKS,
    MESSAGE_BUDGET,
    SECTION_JSON_MAX,
    SECTION_MAX,
    Block,
    Message,
    block_size,
    blocks_size,
    build,
    context,
    header,
    section,
)
from bot.blocks.text import clip, code, inline, json_len, plural, slack_len
from bot.core.explain import explain
from bot.core.models import Outcome, RequestSummary, ServerResult
from bot.ids import MetadataEvent

NAME_LIMIT = 60
NAME_JSON_LIMIT = 400
REASON_LIMIT = 150
REASON_JSON_LIMIT = 600
# Per part: room for the header, the footer, the simulator banner and the fallback text.
_PART_BUDGET = MESSAGE_BUDGET - 900
_PART_FIXED_BLOCKS = 3
_SECTION_OVERHEAD = block_size(section("")) + 2


def row(result: ServerResult, *, detailed: bool = False) -> str:
    """``• name `id```, plus the error code and Huawei's reason when ``detailed``."""
    name = inline(result.name, NAME_LIMIT, json_limit=NAME_JSON_LIMIT)
    line = f"• {name} {code(result.server_id)}"
    if detailed and (result.error_code or result.fail_reason):
        error = code(result.error_code, 40) + " " if result.error_code else ""
        reason = inline(result.fail_reason, REASON_LIMIT, json_limit=REASON_JSON_LIMIT, empty="")
        line += f" — {error}{reason}".rstrip()
    return line


def failure_lines(failed: Sequence[ServerResult], label: str = "Failed") -> list[str]:
    """Failed servers grouped by what their error means: one heading with the advice per group."""
    groups: dict[str, list[ServerResult]] = {}
    for result in failed:
        groups.setdefault(explain(result.error_code) or "", []).append(result)
    lines: list[str] = []
    for explanation, members in groups.items():
        codes = sorted({code(r.error_code, 40) for r in members if r.error_code})
        title = f"*❌ {label}: {plural(len(members), 'server')}*"
        title += f" ({', '.join(codes[:5])})" if codes else ""
        lines.append(f"{title}\n{explanation}" if explanation else title)
        lines.extend(row(r, detailed=True) for r in members)
    return lines


def _by_outcome(results: Iterable[ServerResult]) -> dict[Outcome, list[ServerResult]]:
    groups: dict[Outcome, list[ServerResult]] = {outcome: [] for outcome in Outcome}
    for result in results:
        groups[result.outcome].append(result)
    return groups


def _counts_line(groups: dict[Outcome, list[ServerResult]], total: int) -> str:
    count = {outcome: len(members) for outcome, members in groups.items()}
    line = (
        f"✅ stopped *{count[Outcome.STOPPED]:,}* · ❌ failed *{count[Outcome.FAILED]:,}*"
        f" · ❔ unknown *{count[Outcome.UNKNOWN]:,}*"
    )
    if groups[Outcome.PENDING]:
        line += f" · ⏳ still pending *{len(groups[Outcome.PENDING]):,}*"
    return f"{line}\n_of {plural(total, 'server')} in this request_"


def _body_lines(groups: dict[Outcome, list[ServerResult]], *, list_stopped: bool) -> list[str]:
    lines = failure_lines(groups[Outcome.FAILED])
    unknown = groups[Outcome.UNKNOWN]
    if unknown:
        lines.append(
            f"*❔ Unknown: {plural(len(unknown), 'server')}*\nHuawei Cloud did not say what "
            "happened to these: check them with `/bms status` or in the console."
        )
        lines.extend(row(r, detailed=True) for r in unknown)
    pending = groups[Outcome.PENDING]
    if pending:
        lines.append(f"*⏳ Still pending: {plural(len(pending), 'server')}*")
        lines.extend(row(r, detailed=True) for r in pending)
    stopped = groups[Outcome.STOPPED]
    if stopped and list_stopped:
        lines.append(f"*✅ Stopped: {plural(len(stopped), 'server')}*")
        lines.extend(row(r) for r in stopped)
    return lines


class _Pages:
    """Lays lines out into sections and sections into parts, filling each part to its budget."""

    def __init__(self, first: list[Block], max_parts: int | None = None) -> None:
        self.max_parts = max_parts
        self.parts: list[list[Block]] = [list(first)]
        self.used = blocks_size(first)
        self.lines: list[str] = []
        self.width = self.cost = 0

    def add(self, raw: str) -> bool:
        """Lay ``raw`` out; False (and nothing laid out) if it would open a part past
        ``max_parts``."""
        line = clip(raw, SECTION_MAX, json_limit=SECTION_JSON_MAX - 100)
        width, cost = slack_len(line) + 1, json_len(line) + 2
        new_section = self.width + width > SECTION_MAX or self.cost + cost > SECTION_JSON_MAX - 100
        full = self.max_parts is not None and len(self.parts) >= self.max_parts
        if full and self._opens_part(new_section, cost):
            return False
        if new_section:
            self.flush()
        if self.used + _SECTION_OVERHEAD + self.cost + cost > _PART_BUDGET:
            self.flush()
            self._next_part()
        self.lines.append(line)
        self.width += width
        self.cost += cost
        return True

    def _opens_part(self, new_section: bool, cost: int) -> bool:
        used, pending = self.used, self.cost
        if new_section and self.lines:
            if len(self.parts[-1]) >= MAX_BLOCKS - _PART_FIXED_BLOCKS:
                return True
            used, pending = used + block_size(section("\n".join(self.lines))), 0
        return used + _SECTION_OVERHEAD + pending + cost > _PART_BUDGET

    def _next_part(self) -> None:
        self.parts.append([])
        self.used = 0

    def flush(self) -> None:
        if not self.lines:
            return
        if len(self.parts[-1]) >= MAX_BLOCKS - _PART_FIXED_BLOCKS:
            self._next_part()
        block = section("\n".join(self.lines))
        self.parts[-1].append(block)
        self.used += block_size(block)
        self.lines, self.width, self.cost = [], 0, 0


def result_messages(s: RequestSummary, results: Sequence[ServerResult]) -> list[Message]:
    """The report as thread posts, each within Slack's limits and tagged with its part number."""
    groups = _by_outcome(results)
    counts = _counts_line(groups, s.total)
    pages = _Pages([section(counts)])
    for line in _body_lines(groups, list_stopped=True):
        pages.add(line)
    pages.flush()
    parts = pages.parts
    total = len(parts)
    return [_part(s, counts, blocks, index, total) for index, blocks in enumerate(parts, start=1)]


def summary_messages(
    s: RequestSummary, results: Sequence[ServerResult], *, max_parts: int, after: int
) -> list[Message]:
    """The report's head for a report whose every server is in a file: the counts and what did
    not stop, in at most ``max_parts`` posts (the rest said to be in the file), numbered as the
    first parts of ``len() + after`` parts."""
    groups = _by_outcome(results)
    counts = _counts_line(groups, s.total)
    pages = _Pages([section(counts)], max_parts=max_parts)
    lines = _body_lines(groups, list_stopped=False)
    for shown, line in enumerate(lines):
        if not pages.add(line):
            left = sum(1 for line in lines[shown:] if line.startswith("• "))
            pages.max_parts = None
            pages.add(f"_… and {plural(left, 'more server')}: every server is in the file below_")
            break
    stopped = groups[Outcome.STOPPED]
    if stopped:
        pages.max_parts = None
        pages.add(f"*✅ Stopped: {plural(len(stopped), 'server')}*, listed in the file below")
    pages.flush()
    total = len(pages.parts) + after
    return [_part(s, counts, blocks, i, total) for i, blocks in enumerate(pages.parts, start=1)]


def _part(s: RequestSummary, counts: str, blocks: list[Block], index: int, total: int) -> Message:
    title = "Results" if total == 1 else f"Results ({index}/{total})"
    footer = context(f"Request {code(s.request_id)} · part {index} of {total}")
    metadata: dict[str, Any] = {
        "event_type": MetadataEvent.RESULT_PART.value,
        "event_payload": {"request_id": s.request_id, "part": index, "parts": total},
    }
    text = f"{title}: " + counts.split("\n", 1)[0].replace("*", "")
    return build(text, [header(title), *blocks, footer], metadata=metadata)
