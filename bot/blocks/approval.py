"""Two-person approval in the channel: the request with Approve / Reject, what became of it,
and the break-glass review and alert."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.blocks.message import (
    Block,
    Message,
    actions,
    build,
    button,
    confirm_dialog,
    context,
    header,
    notice,
    section,
)
from bot.blocks.notices import already_handled_message
from bot.blocks.preview import reason_line, stop_type_line
from bot.blocks.text import (
    channel_link,
    code,
    inline,
    plural,
    slack_date,
    user_mention,
    utc_text,
)
from bot.core.lifecycle import RequestState
from bot.core.models import RequestSummary
from bot.ids import ActionId, BlockId, CallbackId, MetadataEvent

MAX_NAMES = 10


def _date(at: float) -> str:
    return slack_date(datetime.fromtimestamp(at, UTC))


def _root_metadata(request_id: str) -> dict[str, Any]:
    """The same metadata as the progress root: the approval request IS the root."""
    return {"event_type": MetadataEvent.ROOT.value, "event_payload": {"request_id": request_id}}


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(inline(n, 60) for n in names[:MAX_NAMES])
    more = f" and {len(names) - MAX_NAMES:,} more" if len(names) > MAX_NAMES else ""
    return shown + more


def _ask(s: RequestSummary, why: str, approvers: str, names: Sequence[str]) -> list[Block]:
    who = f"{user_mention(s.user_id)} asks to stop *{plural(s.total, 'server')}*: {_names(names)}"
    if s.run_at is not None:
        who += f"\n🗓️ *At {_date(s.run_at)}* (a scheduled stop: approving schedules it)"
    return [
        section(f"{who}\n{stop_type_line(s.soft)}\n{reason_line(s.reason)}"),
        section(f"*Needs approval* because {inline(why, 300)}.\nApprovers: {approvers}"),
    ]


def approval_request_message(
    s: RequestSummary, why: str, approvers: str, names: Sequence[str], expires_at: float
) -> Message:
    """Posted publicly where the request was made; it becomes the request's thread root."""
    count = plural(s.total, "server")
    # A confirm dialog is plain text: the time as UTC text, not a date token.
    when = f"at {utc_text(datetime.fromtimestamp(s.run_at, UTC))}" if s.run_at else "at once"
    dialog = confirm_dialog(
        f"Approve stopping {count}?",
        f"This stops {count} {when}: a forced (HARD) stop. Unsaved data on them is lost.",
        "Approve",
        "Not yet",
    )
    blocks = [
        header(f"Approval needed: stop {count}"),
        *_ask(s, why, approvers, names),
        context(f"Expires {_date(expires_at)} · request {code(s.request_id)}"),
        actions(
            BlockId.APPROVAL_ACTIONS,
            button("Approve", ActionId.APPROVE, s.request_id, style="primary", confirm=dialog),
            button("Reject", ActionId.REJECT, s.request_id, style="danger"),
            button("Withdraw (requester)", ActionId.WITHDRAW, s.request_id),
        ),
    ]
    text = f"Approval needed: {user_mention(s.user_id)} asks to stop {count} ({approvers})"
    return build(text, blocks, metadata=_root_metadata(s.request_id))


def approval_closed_message(
    s: RequestSummary, outcome: str, names: Sequence[str], why: str
) -> Message:
    """The approval request once nothing will stop: rejected, refused by the policy, expired."""
    count = plural(s.total, "server")
    blocks = [
        header(f"Not stopped: {outcome}"),
        *_ask(s, why, "", names)[:1],
        section(f"*{outcome.capitalize()}.* Nothing was stopped."),
        context(f"Request {code(s.request_id)}"),
    ]
    text = f"{user_mention(s.user_id)} asked to stop {count}: {outcome}. Nothing was stopped."
    return build(text, blocks, metadata=_root_metadata(s.request_id))


def approved_reply(approver: str, at: float, run_at: float | None = None) -> Message:
    """The thread hears the approval; a scheduled stop is announced rather than sent."""
    then = f"The stop is scheduled for {_date(run_at)}." if run_at else "The stop goes out now."
    return notice(f"✅ Approved by {user_mention(approver)} {_date(at)}. {then}")


def rejected_reply(by: str | None, at: float, note: str | None) -> Message:
    """``by`` None: the policy said no, and ``note`` is the bot's own words (mrkdwn); else
    ``note`` is what the approver typed, shown as text."""
    who = f"by {user_mention(by)}" if by else "by the policy"
    if note and by is None:
        because = f" {note}."
    elif note:
        because = f" Reason: {inline(note, 500)}"
    else:
        because = " No reason given."
    text = f"🚫 Rejected {who} {_date(at)}.{because} Nothing was stopped."
    return notice(text)


def withdrawn_reply(requester: str, at: float) -> Message:
    text = f"↩️ Withdrawn by {user_mention(requester)} {_date(at)}. Nothing was stopped."
    return notice(text)


def expired_reply(requester: str, ttl: str) -> Message:
    text = (
        f"⌛ Nobody approved this within {ttl}, so it expired. Nothing was stopped. "
        f"{user_mention(requester)} may ask again with `/bms stop`."
    )
    return notice(text)


def asked_message(approvers: str, channel_id: str) -> Message:
    """Replaces the requester's preview once the approval request is out."""
    where = channel_link(channel_id) or "the channel"
    text = f"Approval requested from {approvers}: follow the request in {where}. Nothing has "
    text += "stopped yet."
    return notice(text)


def review_message(s: RequestSummary, why: str, approvers: str) -> Message:
    """Break glass: the approval request, posted for review after the fact."""
    text = (
        f"🚨 *Break glass*: {user_mention(s.user_id)} stopped {plural(s.total, 'server')} "
        f"without waiting for an approval ({inline(why, 300)}).\n{reason_line(s.reason)}\n"
        f"{approvers}: please review it."
    )
    blocks = [
        section(text),
        actions(
            BlockId.APPROVAL_ACTIONS,
            button("Acknowledge", ActionId.ACKNOWLEDGE, s.request_id, style="primary"),
        ),
    ]
    return build(text, blocks)


def acknowledged_reply(by: str, at: float) -> Message:
    text = f"👀 Break-glass stop reviewed by {user_mention(by)} {_date(at)}."
    return notice(text)


def break_glass_alert(s: RequestSummary, channel_id: str, link: str | None) -> Message:
    """The loud notice in ``[audit] channel`` the moment a break-glass stop is confirmed."""
    where = channel_link(channel_id) or channel_id
    thread = f" <{link}|Thread>" if link else ""
    text = (
        f"🚨 *BREAK GLASS* in {where}: {user_mention(s.user_id)} is stopping "
        f"{plural(s.total, 'server')} without an approval. {reason_line(s.reason)}.{thread}"
    )
    return notice(text)


def finished_line(s: RequestSummary, outcome: str, channel_id: str, link: str | None) -> Message:
    """The one line ``[audit] channel`` gets for every finished stop."""
    where = channel_link(channel_id) or channel_id
    thread = f" · <{link}|thread>" if link else ""
    text = (
        f"{outcome}: {user_mention(s.user_id)} stopped {plural(s.total, 'server')} in {where}"
        f" · request {code(s.request_id)}{thread}"
    )
    return notice(text)


def reject_reason_view(request_id: str) -> dict[str, Any]:
    """The modal a Reject click opens: an optional reason."""
    return {
        "type": "modal",
        "callback_id": CallbackId.REJECT_REASON.value,
        "private_metadata": request_id,
        "title": {"type": "plain_text", "text": "Reject the stop"},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Back"},
        "blocks": [
            {
                "type": "input",
                "block_id": BlockId.REJECT_REASON.value,
                "optional": True,
                "label": {"type": "plain_text", "text": "Why (optional; the thread shows it)"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": CallbackId.REJECT_REASON.value,
                    "multiline": True,
                    "max_length": 500,
                },
            }
        ],
    }


def decided_message(state: RequestState | None, decided_by: str | None) -> Message:
    """A click on an approval request that is no longer open: what became of it."""
    if decided_by and state is not RequestState.AWAITING_APPROVAL:
        verb = "rejected" if state is RequestState.REJECTED else "approved"
        return notice(f"This request was already {verb} by {user_mention(decided_by)}.")
    if state is RequestState.APPROVAL_EXPIRED:
        return notice("This approval request has expired. Nothing was stopped.")
    if state is RequestState.REJECTED:
        return notice("This request was already rejected. Nothing was stopped.")
    return already_handled_message(state.value if state else "gone")


def not_your_request_message(requester: str) -> Message:
    return notice(f"Only {user_mention(requester)} can withdraw their request.")


def already_reviewed_message(by: str | None) -> Message:
    return notice(f"Already reviewed by {user_mention(by)}.")


def alert_failed_message(channel_id: str | None) -> Message:
    """The break-glass alert did not reach ``[audit] channel``: said in the thread instead."""
    where = channel_link(channel_id) or "the audit channel"
    return notice(
        f"⚠️ The break-glass alert could not be posted in the audit channel {where} (is the bot "
        "in it?). The audit trail has it; tell the approvers directly."
    )


def not_stopped_after_all_message(why: str) -> Message:
    """Recovery found that the policy no longer allows an approved stop."""
    return notice(f"Not stopped after all: {why}. Nothing was sent.")


def nothing_left_message(taken: bool, protected_note: str) -> Message:
    """An approved stop whose every server another request took, or the policy protects now."""
    parts = ["Another request is already stopping every server." if taken else "", protected_note]
    return notice(" ".join(p for p in [*parts, "Nothing was sent."] if p))
