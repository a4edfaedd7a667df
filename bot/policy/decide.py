"""Every policy decision, as pure functions of the policy, a ``Person`` and the ``GroupIndex``.

With no policy file the default holds: full members of the workspace may stop servers anywhere
the bot is (up to the command's own limit), guests, bots and deactivated accounts may not, and
workspace admins and owners may read the audit. With a policy everything not granted is denied,
and the first grant in file order that takes in both the person and the channel decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase

from bot.bms.models import Server
from bot.core.models import Approval as NeedsApproval
from bot.core.parser import MAX_IDS
from bot.policy.model import Grant, Policy, Selector
from bot.policy.people import GroupIndex, Person
from bot.policy.refs import ANYWHERE, tag_matches

DEFAULT_RULE = "workspace-members"  # the name the audit records when no policy file is set


class Denial(StrEnum):
    GUEST = "guest"
    BOT = "bot"
    DEACTIVATED = "deactivated"
    CHANNEL = "channel"  # no grant covers this channel for this person
    NOT_GRANTED = "not_granted"  # grants cover the channel, none takes in the person
    TOO_MANY = "too_many"
    DIRECTORY = "directory"  # the user groups could not be read: nobody is let in on a guess
    BREAK_GLASS = "break_glass"  # the flag where the grant does not allow it


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the policy says to one person asking in one channel for ``named`` servers."""

    rule: str  # the deciding grant's name (or DEFAULT_RULE); empty when nothing matched
    denial: Denial | None = None
    limit: int = MAX_IDS
    named: int = 0
    grant: Grant | None = None
    allowed_here: tuple[str, ...] = ()  # NOT_GRANTED: who may ask here instead
    channels: tuple[str, ...] = ()  # CHANNEL: where this person may ask instead

    @property
    def allowed(self) -> bool:
        return self.denial is None

    @property
    def break_glass_allowed(self) -> bool:
        return self.grant is not None and self.grant.break_glass


def decide_request(
    policy: Policy | None,
    person: Person,
    channel_id: str,
    named: int,
    groups: GroupIndex,
    *,
    break_glass: bool = False,
) -> Verdict:
    """May ``person`` ask, in ``channel_id``, to stop ``named`` servers (the ids they typed)?"""
    if (refused := _not_a_member(person)) is not None:
        return Verdict("", refused, named=named)
    if policy is None:
        denial = Denial.BREAK_GLASS if break_glass else None
        return Verdict(DEFAULT_RULE, denial, named=named)
    if not groups.loaded and _names_groups(policy.grant):
        return Verdict("", Denial.DIRECTORY, named=named)
    mine = [g for g in policy.grant if groups.any_has(g.requesters, person.id)]
    grant = next((g for g in mine if _covers(g, channel_id)), None)
    if grant is None:
        return _no_grant(policy, mine, channel_id, named)
    limit = policy.limit_of(grant)
    denial = None
    if named > limit:
        denial = Denial.TOO_MANY
    elif break_glass and not grant.break_glass:
        denial = Denial.BREAK_GLASS
    return Verdict(grant.name, denial, limit=limit, named=named, grant=grant)


def _no_grant(policy: Policy, mine: list[Grant], channel_id: str, named: int) -> Verdict:
    """Nothing takes in this person here: where they may ask instead, or who may ask here."""
    if mine:
        channels = tuple(dict.fromkeys(c for g in mine for c in g.channels))
        return Verdict("", Denial.CHANNEL, named=named, channels=channels)
    here = [g for g in policy.grant if _covers(g, channel_id)]
    if not here:
        return Verdict("", Denial.CHANNEL, named=named)
    who = tuple(dict.fromkeys(r for g in here for r in g.requesters))
    return Verdict("", Denial.NOT_GRANTED, named=named, allowed_here=who)


def _not_a_member(person: Person) -> Denial | None:
    if person.deactivated:
        return Denial.DEACTIVATED
    if person.bot:
        return Denial.BOT
    if person.guest:
        return Denial.GUEST
    return None


def _covers(grant: Grant, channel_id: str) -> bool:
    return ANYWHERE in grant.channels or channel_id in grant.channels


def _names_groups(grants: Iterable[Grant]) -> bool:
    return any(r.startswith(("@", "S")) for g in grants for r in (*g.requesters, *g.approvers))


def selects(selector: Selector, server: Server) -> bool:
    """Whether ``server`` is one of the selector's: by id, name glob, or tag."""
    if server.id in selector.ids:
        return True
    if any(fnmatchcase(server.name, glob) for glob in selector.names):
        return True
    return any(tag_matches(tag, server.tags) for tag in selector.tags)


def protected(policy: Policy | None, servers: Iterable[Server]) -> dict[str, str]:
    """Server id → the first ``[[protect]]`` rule that keeps it from being stopped."""
    if policy is None:
        return {}
    found: dict[str, str] = {}
    for server in servers:
        rule = next((p.name for p in policy.protect if selects(p.selector, server)), None)
        if rule is not None:
            found[server.id] = rule
    return found


def protected_ids(policy: Policy | None, ids: Iterable[str]) -> dict[str, str]:
    """``protected`` for servers known only by id (ones the project does not have)."""
    if policy is None:
        return {}
    found: dict[str, str] = {}
    for server_id in ids:
        rule = next((p.name for p in policy.protect if server_id in p.ids), None)
        if rule is not None:
            found[server_id] = rule
    return found


def approval_needed(grant: Grant | None, targets: Sequence[Server]) -> NeedsApproval | None:
    """Whether stopping ``targets`` under ``grant`` needs someone else's approval."""
    if grant is None:
        return None
    approval = grant.approval
    why = None
    if approval.mode == "always":
        why = f"{grant.name!r} asks for an approval for every stop"
    elif approval.mode == "above" and len(targets) > approval.above:
        why = f"{len(targets)} servers is more than {approval.above}"
    elif grant.approval_for is not None:
        hit = next((s for s in targets if selects(grant.approval_for, s)), None)
        if hit is not None:
            why = f"{hit.name} matches {grant.name!r}'s approval_for"
    return NeedsApproval(why, grant.approvers) if why else None


class ApproverDenial(StrEnum):
    SELF = "self"  # the requester themselves
    NOT_APPROVER = "not_approver"
    NOT_A_MEMBER = "not_a_member"  # a guest, bot or deactivated account
    DIRECTORY = "directory"


def approver_refusal(
    approvers: tuple[str, ...], person: Person, requester_id: str, groups: GroupIndex
) -> ApproverDenial | None:
    """Why ``person`` may not approve or reject a request by ``requester_id``; None: they may."""
    if person.id == requester_id:
        return ApproverDenial.SELF
    if not person.full_member:
        return ApproverDenial.NOT_A_MEMBER
    if not groups.loaded and any(r.startswith(("@", "S")) for r in approvers):
        return ApproverDenial.DIRECTORY
    if not groups.any_has(approvers, person.id):
        return ApproverDenial.NOT_APPROVER
    return None


def schedule_changers(
    policy: Policy | None, rule: str | None, approval: NeedsApproval | None
) -> tuple[str, ...]:
    """Besides the requester, who may cancel or postpone a scheduled stop: with a policy, the
    approvers of the grant that let it in (and of its approval, if it needed one)."""
    if policy is None:
        return ()
    grant = next((g for g in policy.grant if g.name == rule), None)
    refs = (*(grant.approvers if grant else ()), *(approval.approvers if approval else ()))
    return tuple(dict.fromkeys(refs))


def may_change_schedule(
    changers: tuple[str, ...], person: Person, requester_id: str, groups: GroupIndex
) -> bool | None:
    """Whether ``person`` may cancel or postpone a schedule by ``requester_id``: the requester,
    or a full member among ``changers``; None when the user groups could not be read."""
    if person.id == requester_id:
        return True
    refusal = approver_refusal(changers, person, requester_id, groups)
    if refusal is ApproverDenial.DIRECTORY:
        return None
    return refusal is None


def may_read_audit(policy: Policy | None, person: Person, groups: GroupIndex) -> bool:
    """``[audit] readers``; with no policy, the workspace's admins and owners."""
    if not person.full_member:
        return False
    if policy is None or not policy.audit.readers:
        return person.admin
    return groups.any_has(policy.audit.readers, person.id)
