"""Who may do what under a policy, in plain lines: ``bms-bot check`` prints them.

grant sre-oncall: @sre-oncall, U0ALICE001 may stop up to 200 servers in C0INCIDENT; approval
above 20 or for names *-prod-*, tags env=prod, by @sre-leads; break glass allowed
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.durations import format_duration
from bot.policy.model import AuditSection, Grant, Policy, Protect, Selector
from bot.policy.refs import ANYWHERE

NO_POLICY = (
    "no policy file: every full member may stop servers in any channel the bot is in; "
    "guests, bots and deactivated accounts may not; workspace admins and owners may read the audit"
)
IDS_SHOWN = 3  # a protect rule may list hundreds of ids: the summary stays a line


def summarize(policy: Policy | None) -> list[str]:
    """One line for the defaults, each grant, each protect rule and the audit."""
    if policy is None:
        return [NO_POLICY]
    defaults = policy.defaults
    lines = [
        f"defaults: up to {defaults.max_servers} servers a request; a request waiting for "
        f"approval expires after {format_duration(defaults.approval_ttl)}"
    ]
    lines += [_grant(g, policy.limit_of(g)) for g in policy.grant] or [
        "no grants: nobody may stop servers"
    ]
    lines += [_protect(p) for p in policy.protect] or ["no protect rules"]
    lines.append(_audit(policy.audit))
    return lines


def _grant(grant: Grant, limit: int) -> str:
    where = "any channel the bot is in" if ANYWHERE in grant.channels else _list(grant.channels)
    parts = [
        f"grant {grant.name}: {_list(grant.requesters)} may stop up to {limit} servers in {where}",
        _approval(grant),
    ]
    if grant.break_glass:
        parts.append("break glass allowed")
    return "; ".join(parts)


def _approval(grant: Grant) -> str:
    if not grant.asks_approval:
        return "no approval needed"
    when = [] if grant.approval.mode == "never" else [str(grant.approval)]
    chosen = grant.approval_for
    if grant.approval.mode != "always" and chosen is not None and not chosen.empty:
        when.append(f"for {_selector(chosen)},")
    return f"approval {' or '.join(when)} by {_list(grant.approvers)}"


def _protect(rule: Protect) -> str:
    return f"protect {rule.name}: {_selector(rule.selector)}"


def _audit(audit: AuditSection) -> str:
    readers = (
        f"readers {_list(audit.readers)}"
        if audit.readers
        else "workspace admins and owners read it"
    )
    where = f"summary lines to {audit.channel}" if audit.channel else "no audit channel"
    return f"audit: {readers}; {where}"


def _selector(selector: Selector) -> str:
    parts = []
    if selector.ids:
        shown = _list(selector.ids[:IDS_SHOWN])
        more = len(selector.ids) - IDS_SHOWN
        parts.append(f"ids {shown} and {more} more" if more > 0 else f"ids {shown}")
    if selector.names:
        parts.append(f"names {_list(selector.names)}")
    if selector.tags:
        parts.append(f"tags {_list(selector.tags)}")
    return ", ".join(parts)


def _list(items: Sequence[str]) -> str:
    return ", ".join(items)
