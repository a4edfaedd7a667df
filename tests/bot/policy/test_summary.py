"""The plain lines ``bms-bot check`` prints about who may do what."""

from __future__ import annotations

import tomllib

from bot.policy.model import Policy
from bot.policy.summary import NO_POLICY, summarize
from tests.bot.policy.policy_examples import DB_ID, EXAMPLE

IDS = [f"616fb98f-46ca-475e-917e-2563e5a8cd{n:02d}" for n in range(5)]


def policy(text: str) -> Policy:
    return Policy.model_validate(tomllib.loads(text))


def test_no_policy_is_the_default_in_one_line() -> None:
    """Without a policy file the summary is the default rule, in one line."""
    assert summarize(None) == [
        "no policy file: every full member may stop servers in any channel the bot is in; "
        "guests, bots and deactivated accounts may not; workspace admins and owners may read "
        "the audit"
    ]
    assert summarize(None) == [NO_POLICY]


def test_a_full_policy_is_a_line_per_grant_protect_rule_and_the_audit() -> None:
    """Defaults, each grant with its limit, channels and approval, each protect rule, then the
    audit."""
    p = policy(EXAMPLE)
    assert summarize(p) == [
        "defaults: up to 500 servers a request; a request waiting for approval expires after 1h30m",
        "grant sre-oncall: @sre-oncall, U0ALICE001 may stop up to 200 servers in C0INCIDENT; "
        "approval above 20 or for names *-prod-*, tags env=prod, by @sre-leads; "
        "break glass allowed",
        "grant everyone-in-sandbox: S0ENGINEER may stop up to 500 servers in any channel the "
        "bot is in; "
        "no approval needed",
        f"protect prod-databases: ids {DB_ID}, names db-prod-*, tags env=prod, keep",
        "audit: readers @sre-leads; summary lines to C0AUDIT01",
    ]


def test_each_approval_condition_reads_plainly() -> None:
    """always, "above N" alone and approval_for alone each read as one phrase with approvers."""
    p = policy(
        """
        [[grant]]
        name = "always"
        requesters = ["U0ALICE001"]
        channels = ["C0A", "C0B"]
        approval = "always"
        approval_for = { names = ["db-*"] }
        approvers = ["@leads", "U0CAROL001"]
        [[grant]]
        name = "above"
        requesters = ["U0ALICE001"]
        channels = ["*"]
        approval = "above 5"
        approvers = ["@leads"]
        [[grant]]
        name = "tagged"
        requesters = ["U0ALICE001"]
        channels = ["*"]
        approval_for = { tags = ["env=prod"] }
        approvers = ["@leads"]
        """
    )
    grants = [line.split("; ", 1)[1] for line in summarize(p)[1:4]]
    assert grants == [
        "approval always by @leads, U0CAROL001",
        "approval above 5 by @leads",
        "approval for tags env=prod, by @leads",
    ]
    assert summarize(p)[1].startswith(
        "grant always: U0ALICE001 may stop up to 1000 servers in C0A, C0B;"
    )


def test_many_protected_ids_are_counted_not_listed() -> None:
    """A rule with more than three ids shows three and the count of the rest."""
    ids = ", ".join(f'"{i}"' for i in IDS)
    lines = summarize(policy(f'[[protect]]\nname = "p"\nids = [{ids}]'))
    [line] = [s for s in lines if s.startswith("protect ")]
    assert line == f"protect p: ids {IDS[0]}, {IDS[1]}, {IDS[2]} and 2 more"


def test_an_empty_policy_says_nobody_may_stop_anything() -> None:
    """A policy with no grants lets nobody stop servers, and the summary says so."""
    assert summarize(policy("")) == [
        "defaults: up to 1000 servers a request; a request waiting for approval expires after 30m",
        "no grants: nobody may stop servers",
        "no protect rules",
        "audit: workspace admins and owners read it; no audit channel",
    ]
