"""Every Slack identifier the bot owns, in one place: action and block ids, metadata event types.

Handlers register listeners with these (``app.action(ActionId.CONFIRM)``) and builders put them in
blocks, so a rename cannot leave a button without a listener. The values are part of the wire
contract with messages already posted: change them only with a migration plan.
"""

from __future__ import annotations

from enum import StrEnum


class ActionId(StrEnum):
    """``action_id`` of interactive elements."""

    CONFIRM = "bms_stop_confirm"
    CANCEL = "bms_stop_cancel"
    APPROVE = "bms_approve"
    REJECT = "bms_reject"
    ACKNOWLEDGE = "bms_acknowledge"  # an approver has reviewed a break-glass stop
    WITHDRAW = "bms_withdraw"  # the requester takes back an approval request
    SCHEDULE_CANCEL = "bms_schedule_cancel"  # on a scheduled stop's announcement
    POSTPONE_HOUR = "bms_postpone_hour"
    POSTPONE_PICK = "bms_postpone_pick"  # opens the modal for a time of one's own
    RUN_NOW = "bms_run_now"  # a missed schedule, run late on purpose
    RESCHEDULE = "bms_reschedule"  # a missed schedule, a new time (the modal)


class CallbackId(StrEnum):
    """``callback_id`` of modals."""

    REJECT_REASON = "bms_reject_reason"
    POSTPONE = "bms_postpone"  # the new time of a schedule (postpone or reschedule)


class BlockId(StrEnum):
    """``block_id`` of blocks that listeners or tests look for."""

    PREVIEW_ACTIONS = "bms_preview_actions"
    SIMULATOR_BANNER = "bms_simulator_banner"
    ROOT_PROGRESS = "bms_root_progress"
    APPROVAL_ACTIONS = "bms_approval_actions"
    REJECT_REASON = "bms_reject_reason"  # the modal's input block (its action: REJECT_REASON)
    SCHEDULE_ACTIONS = "bms_schedule_actions"
    MISSED_ACTIONS = "bms_missed_actions"
    POSTPONE_TIME = "bms_postpone_time"  # the modal's input block (its action: POSTPONE)


class MetadataEvent(StrEnum):
    """``metadata.event_type`` of messages the bot may need to find again."""

    RESULT_PART = "bms_stop_result"
    ROOT = "bms_stop_root"
    REMINDER = "bms_stop_reminder"
