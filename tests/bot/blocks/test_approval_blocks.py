"""Approval messages: within Slack's limits, typed words escaped, the policy's own words not."""

from __future__ import annotations

import dataclasses

from blocks_limits import assert_within_slack_limits

from bot.blocks.approval import (
    approval_request_message,
    approved_reply,
    break_glass_alert,
    rejected_reply,
    review_message,
)
from bot.core.models import RequestSummary
from bot.ids import ActionId

SUMMARY = RequestSummary("req_1", "U0ALICE01", 1000, False, "<!channel> & patching")


def test_an_approval_request_for_1000_servers_fits_and_has_both_buttons() -> None:
    """A thousand hostile names still make a valid message with Approve and Reject."""
    names = [f"<!here>-{n}" for n in range(1000)]
    message = approval_request_message(SUMMARY, "always", "<!subteam^S1>", names, 1.8e9)
    assert_within_slack_limits(message)
    text = str(message.blocks)
    assert ActionId.APPROVE.value in text
    assert ActionId.REJECT.value in text
    assert "<!here>" not in text
    assert "<!channel>" not in text
    assert "and 990 more" in text


def test_an_approvers_reason_is_shown_as_text() -> None:
    """What an approver typed cannot mention anyone."""
    message = rejected_reply("U0BOB0001", 1.8e9, "<!channel> not now")
    assert "<!channel>" not in message.text
    assert "&lt;!channel&gt;" in message.text


def test_the_policys_own_reason_keeps_its_mentions() -> None:
    """When the policy says no, its words (with the requester's mention) are shown as written."""
    message = rejected_reply(None, 1.8e9, "<@U0ALICE01> is no longer in a group")
    assert "by the policy" in message.text
    assert "<@U0ALICE01> is no longer in a group" in message.text


def test_break_glass_messages_fit() -> None:
    """The review with Acknowledge and the audit channel's alert are valid messages."""
    review = review_message(SUMMARY, "above 20", "<!subteam^S1>")
    assert ActionId.ACKNOWLEDGE.value in str(review.blocks)
    for message in (review, break_glass_alert(SUMMARY, "C1", "https://acme.slack.com/x")):
        assert_within_slack_limits(message)
        assert "<!channel>" not in message.text


def test_a_scheduled_approval_request_says_when_not_at_once() -> None:
    """Approving a scheduled stop schedules it: the request and the reply say when."""
    scheduled = dataclasses.replace(SUMMARY, run_at=1.8e9 + 3600)
    message = approval_request_message(scheduled, "always", "<!subteam^S1>", ["web-1"], 1.8e9)
    assert_within_slack_limits(message)
    assert "at once" not in str(message.blocks)
    assert "<!date^1800003600^" in str(message.blocks)
    [approve] = [e for b in message.blocks for e in b.get("elements", []) if "confirm" in e]
    assert "<!date" not in str(approve["confirm"]), "a confirm dialog is plain text"
    assert "scheduled for <!date^1800003600^" in rejected_or_approved(scheduled)


def rejected_or_approved(s: RequestSummary) -> str:
    return approved_reply("U0BOB0001", 1.8e9, s.run_at).text
