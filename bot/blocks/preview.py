"""The ephemeral preview a requester sees before anything stops, with Stop and Cancel buttons."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from bot.blocks.message import (
    MESSAGE_BUDGET,
    Block,
    Message,
    actions,
    blocks_size,
    build,
    button,
    confirm_dialog,
    context,
    fit_lines,
    header,
    section,
)
from bot.blocks.policy import protected_title
from bot.blocks.text import code, inline, plural, slack_date, utc_text
from bot.core.models import Preview, Skipped, SkipReason, Target
from bot.ids import ActionId, BlockId

T = TypeVar("T")
MAX_TARGET_ROWS = 15
MAX_SKIPPED_ROWS = 5
NAME_LIMIT = 60
# A 500-character reason fits whole unless it is mostly emoji or "&" (which escaping triples).
REASON_LIMIT = 2_600
REASON_JSON_LIMIT = 3_000
# Room for the banner, the title and the summary, which are measured after the lists are chosen.
_RESERVE = 1_000

SKIP_TITLES = {
    SkipReason.UNKNOWN: "not found in this project",
    SkipReason.STOPPED: "already stopped",
    SkipReason.STOPPING: "already stopping",
    SkipReason.TAKEN: "already being stopped by another request",
    SkipReason.PROTECTED: "protected by the policy",
}


def stop_type_line(soft: bool) -> str:
    """The stop type as people must understand it: SOFT is not honoured by Huawei Cloud."""
    if soft:
        return "Stop type: *SOFT requested — Huawei Cloud performs it as a forced (HARD) stop*"
    return "Stop type: *HARD* (a forced power-off, like pulling the plug)"


def reason_line(reason: str | None) -> str:
    if not reason:
        return "Reason: _none given_"
    return f"Reason: {inline(reason, REASON_LIMIT, json_limit=REASON_JSON_LIMIT)}"


def target_row(target: Target) -> str:
    return f"• {inline(target.name, NAME_LIMIT)} {code(target.id)} {inline(target.status, 20)}"


def skipped_row(skip: Skipped) -> str:
    name = f"{inline(skip.name, NAME_LIMIT)} " if skip.name else ""
    status = f" {inline(skip.status, 20)}" if skip.status else ""
    return f"• {name}{code(skip.id)}{status}"


def _counts(p: Preview) -> str:
    by = _group(p.skipped)
    return (
        f"*Will stop {len(p.targets):,}* · unknown {len(by[SkipReason.UNKNOWN]):,}"
        f" · already stopped {len(by[SkipReason.STOPPED]):,}"
        f" · stopping {len(by[SkipReason.STOPPING]):,}"
        + (f" · protected {len(by[SkipReason.PROTECTED]):,}" if by[SkipReason.PROTECTED] else "")
    )


def _group(skipped: Sequence[Skipped]) -> dict[SkipReason, list[Skipped]]:
    groups: dict[SkipReason, list[Skipped]] = {reason: [] for reason in SkipReason}
    for skip in skipped:
        groups[skip.reason].append(skip)
    return groups


def _listing(
    title: str, items: Sequence[T], render: Callable[[T], str], budget: int, max_rows: int
) -> list[Block]:
    """A titled list showing the first rows that fit, then "…and K more"."""
    rows = [render(item) for item in items[:max_rows]]  # only what could be shown is formatted
    shown, hidden = fit_lines([title, *rows], budget, max_rows + 1)
    left_out = len(items) - len(rows) + min(hidden, len(rows))
    if not left_out:
        return shown
    more = f"…and {left_out:,} more"
    return [*shown, context(more if shown else f"{title} {more}")]


def _skipped_blocks(skipped: Sequence[Skipped], budget: int) -> list[Block]:
    blocks: list[Block] = []
    for reason, group in _group(skipped).items():
        if reason is SkipReason.PROTECTED:
            blocks += _protected_blocks(group, budget // 3)
        elif group:
            title = f"*Skipped: {plural(len(group), 'id')} {SKIP_TITLES[reason]}*"
            blocks += _listing(title, group, skipped_row, budget // 3, MAX_SKIPPED_ROWS)
    return blocks


def _protected_blocks(group: Sequence[Skipped], budget: int) -> list[Block]:
    """Protected servers first, each rule with its own list: they are never stopped."""
    by_rule: dict[str, list[Skipped]] = {}
    for skip in group:
        by_rule.setdefault(skip.rule or "?", []).append(skip)
    blocks: list[Block] = []
    for rule, skips in by_rule.items():
        title = protected_title(rule, len(skips))
        share = budget // max(1, len(by_rule))
        blocks += _listing(title, skips, skipped_row, share, MAX_SKIPPED_ROWS)
    return blocks


def _approval_line(p: Preview, approvers: str) -> str:
    if p.approval is None:
        return ""
    if p.break_glass:
        return (
            f"\n🚨 *Break glass*: this stops at once, without waiting for an approval "
            f"({inline(p.approval.why, 300)}). {approvers} are told and review it afterwards."
        )
    return (
        f"\n*Needs approval* ({inline(p.approval.why, 300)}): your click asks {approvers}; "
        "nothing stops until one of them approves."
    )


def _buttons(p: Preview, *, again: bool = False) -> Block:
    count = plural(len(p.targets), "server")
    if p.run_at is not None and not again:
        return _schedule_buttons(p, count)
    if p.approval is not None and not p.break_glass:
        return actions(
            BlockId.PREVIEW_ACTIONS,
            button("Ask for approval", ActionId.CONFIRM, p.request_id, style="primary"),
            button("Cancel", ActionId.CANCEL, p.request_id),
        )
    label = "Submit again" if again else f"Stop {count}"
    if p.break_glass and not again:
        label = f"Stop {count} now (break glass)"
    kind = "a forced (HARD) stop, although you asked for SOFT" if p.soft else "a forced (HARD) stop"
    dialog = confirm_dialog(
        f"Stop {count}?",
        f"This stops {count} now: {kind}. Unsaved data on them is lost.",
        "Stop them",
        "Keep running",
    )
    return actions(
        BlockId.PREVIEW_ACTIONS,
        button(
            label,
            ActionId.CONFIRM,
            p.request_id,
            style="danger",
            confirm=dialog,
        ),
        button("Cancel", ActionId.CANCEL, p.request_id),
    )


def _schedule_buttons(p: Preview, count: str) -> Block:
    """A scheduled stop is announced by the click (or asked for approval first)."""
    assert p.run_at is not None
    if p.approval is not None and not p.break_glass:
        label = "Ask for approval"
    else:
        label = f"Schedule the stop of {count}"
    dialog = confirm_dialog(
        f"Schedule the stop of {count}?",
        f"At {utc_text(p.run_at)} this stops {count} (a forced HARD stop). The channel sees "
        "an announcement with Cancel and Postpone.",
        "Schedule it",
        "Not yet",
    )
    return actions(
        BlockId.PREVIEW_ACTIONS,
        button(label, ActionId.CONFIRM, p.request_id, style="primary", confirm=dialog),
        button("Cancel", ActionId.CANCEL, p.request_id),
    )


def _footer(p: Preview) -> Block:
    return context(
        f"Expires {slack_date(p.expires_at)} · request {code(p.request_id)}",
        "Only you can see this.",
    )


def preview_message(
    p: Preview, *, again: bool = False, approvers: str = "", when: str = ""
) -> Message:
    """What will stop and what is skipped; buttons only when something would stop.
    ``approvers``: who the approval would go to, as mentions, when one is needed; ``when``:
    a scheduled stop's time line (``bot.blocks.schedule.when_line``)."""
    if not p.targets:
        return _nothing_to_stop(p)
    count = plural(len(p.targets), "server")
    if again:
        asks = f"Submit the stop of {count} again?"
    else:
        asks = f"Schedule the stop of {count}?" if p.run_at else f"Stop {count}?"
    head = [
        header(asks),
        section(
            f"{_counts(p)}\n{stop_type_line(p.soft)}\n{reason_line(p.reason)}"
            f"{chr(10) + when if when else ''}{_approval_line(p, approvers)}"
        ),
    ]
    tail = [_footer(p), _buttons(p, again=again)]
    room = MESSAGE_BUDGET - _RESERVE - blocks_size(head + tail)
    title = f"*{plural(len(p.targets), 'server')} to stop*"
    targets = _listing(title, p.targets, target_row, room * 2 // 3, MAX_TARGET_ROWS)
    skipped = _skipped_blocks(p.skipped, room - blocks_size(targets))
    text = f"{asks} Preview of request {p.request_id}"
    return build(text, [*head, *targets, *skipped, *tail])


def _nothing_to_stop(p: Preview) -> Message:
    blocks = [
        header("Nothing to stop"),
        section(f"None of the ids can be stopped, so there is nothing to confirm.\n{_counts(p)}"),
        *_skipped_blocks(p.skipped, MESSAGE_BUDGET - 2 * _RESERVE),
        context(f"Request {code(p.request_id)}"),
    ]
    return build("Nothing to stop: none of the ids can be stopped.", blocks)
