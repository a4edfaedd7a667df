"""The policy at every step: who may ask (before the lookup), which servers are protected (in the
preview, and again with fresh server data at the confirmation or the approval), and who may
approve. Decisions are ``bot/policy/decide.py``; this step only gathers what they are made of."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.bms.models import Server
from bot.core.models import Approval
from bot.policy.decide import (
    ApproverDenial,
    Verdict,
    approval_needed,
    approver_refusal,
    decide_request,
    may_change_schedule,
    may_read_audit,
    protected,
    protected_ids,
    schedule_changers,
)
from bot.policy.model import DEFAULT_APPROVAL_TTL, Policy
from bot.policy.people import DirectoryUnavailable, GroupIndex, Person
from bot.policy.refs import is_person
from bot.stops.ports import People, StopCloud
from bot.store import RequestRow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Recheck:
    """The policy's answer again, just before a request's stop is sent or its approval asked."""

    verdict: Verdict
    protected: dict[str, str]  # server id → rule, for targets protected since the preview
    approval: Approval | None  # what the deciding grant asks for now


@dataclass(frozen=True)
class Gate:
    policy: Policy | None
    people: People
    cloud: StopCloud

    @property
    def groups(self) -> GroupIndex:
        return self.people.groups

    @property
    def approval_ttl(self) -> float:
        return self.policy.defaults.approval_ttl if self.policy else DEFAULT_APPROVAL_TTL

    async def admit(
        self, user_id: str, channel_id: str, named: int, *, break_glass: bool = False
    ) -> tuple[Person, Verdict]:
        """May this person ask here? ``DirectoryUnavailable`` if Slack cannot say who they are."""
        person = await self.people.person(user_id)
        verdict = decide_request(
            self.policy, person, channel_id, named, self.groups, break_glass=break_glass
        )
        return person, verdict

    def protected(self, ids: Sequence[str], found: Mapping[str, Server]) -> dict[str, str]:
        """Server id → the protect rule, for servers found and ids the project lacks alike."""
        missing = [i for i in ids if i not in found]
        return protected(self.policy, found.values()) | protected_ids(self.policy, missing)

    def approval(self, verdict: Verdict, targets: Sequence[Server]) -> Approval | None:
        return approval_needed(verdict.grant, targets)

    async def recheck(self, req: RequestRow, found: Mapping[str, Server] | None = None) -> Recheck:
        """The requester and the targets judged again, now, as at the preview: the verdict
        (groups read afresh; the grant that decides may be another one now), the targets that
        became protected, and the approval the deciding grant asks for with the servers as
        they are now. ``CloudError`` if the servers cannot be read; ``found``: the servers
        read already."""
        grant_refs = [r for g in self.policy.grant for r in g.requesters] if self.policy else []
        groups = await self.people.recheck(grant_refs) if grant_refs else self.groups
        person = await self.people.person(req.user_id)
        named = len(req.targets) + len(req.skipped)
        verdict = decide_request(
            self.policy, person, req.channel_id, named, groups, break_glass=req.break_glass
        )
        if self.policy is None or not verdict.allowed or not req.targets:
            return Recheck(verdict, {}, None)
        ids = [t.id for t in req.targets]
        if found is None:
            found = await self.cloud.find_servers(ids)
        protected = self.protected(ids, found)
        left = [found[i] for i in ids if i in found and i not in protected]
        return Recheck(verdict, protected, approval_needed(verdict.grant, left))

    async def approver(self, req: RequestRow, user_id: str) -> tuple[Person, ApproverDenial | None]:
        """May ``user_id`` approve or reject ``req``? A refusal on the cached groups stands
        (no Tier 2 call for every bystander's click); a yes is confirmed with the groups read
        afresh, so someone removed a minute ago cannot decide."""
        approvers = req.approval.approvers if req.approval else ()
        person = await self.people.person(user_id)
        cached = approver_refusal(approvers, person, req.user_id, self.groups)
        if cached is not None and cached is not ApproverDenial.DIRECTORY:
            return person, cached
        groups = await self.people.recheck(approvers)
        return person, approver_refusal(approvers, person, req.user_id, groups)

    def changers(self, req: RequestRow) -> tuple[str, ...]:
        """Who besides the requester may cancel or postpone ``req`` (user ids, group refs)."""
        return schedule_changers(self.policy, req.rule, req.approval)

    async def may_change_schedule(self, req: RequestRow, user_id: str) -> bool:
        """The requester, or one of ``changers``. As for approvers, a no on the cached groups
        stands and a yes through a group is confirmed with the groups read afresh
        (``DirectoryUnavailable`` if they cannot be)."""
        person = await self.people.person(user_id)
        changers = self.changers(req)
        cached = may_change_schedule(changers, person, req.user_id, self.groups)
        if cached is False or person.id == req.user_id or all(is_person(r) for r in changers):
            return bool(cached)
        answer = may_change_schedule(
            changers, person, req.user_id, await self.people.recheck(changers)
        )
        if answer is None:
            raise DirectoryUnavailable("usergroups")
        return answer

    async def may_read_audit(self, user_id: str) -> bool:
        readers = self.policy.audit.readers if self.policy else ()
        groups = await self.people.recheck(readers) if readers else self.groups
        return may_read_audit(self.policy, await self.people.person(user_id), groups)
