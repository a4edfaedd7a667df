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


class CallbackId(StrEnum):
    """``callback_id`` of modals."""

    REJECT_REASON = "bms_reject_reason"


class BlockId(StrEnum):
    """``block_id`` of blocks that listeners or tests look for."""

    PREVIEW_ACTIONS = "bms_preview_actions"
    SIMULATOR_BANNER = "bms_simulator_banner"
    ROOT_PROGRESS = "bms_root_progress"
    APPROVAL_ACTIONS = "bms_approval_actions"
    REJECT_REASON = "bms_reject_reason"  # the modal's input block (its action: REJECT_REASON)


class MetadataEvent(StrEnum):
    """``metadata.event_type`` of messages the bot may need to find again."""

    RESULT_PART = "bms_stop_result"
    ROOT = "bms_stop_root"
