"""Two-person approval: the approval request in the channel, Approve, Reject, expiry, and the
break-glass review. Each decision is one compare-and-set on the row (``RequestStore.decide``),
so double clicks, two approvers at once and replays decide exactly once."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.blocks.approval import (
    acknowledged_reply,
    alert_failed_message,
    already_reviewed_message,
    approval_closed_message,
    approval_request_message,
    approved_reply,
    asked_message,
    decided_message,
    expired_reply,
    not_stopped_after_all_message,
    not_your_request_message,
    nothing_left_message,
    rejected_reply,
    review_message,
    withdrawn_reply,
)
from bot.blocks.message import Message, notice
from bot.blocks.policy import (
    approver_refusal_message,
    directory_down_message,
    mentions,
    newly_protected_text,
    no_longer_allowed_text,
    recheck_failed_message,
)
from bot.blocks.text import duration
from bot.bms.errors import CloudError
from bot.core.audit import AuditKind
from bot.core.lifecycle import RequestState, chunks
from bot.policy.people import DirectoryUnavailable
from bot.slack.place import Place
from bot.slack.poster import Poster
from bot.stops.gate import Gate, Recheck
from bot.stops.ports import Clock
from bot.stops.reach import thread_of
from bot.stops.root import Roots
from bot.stops.schedules import Schedules
from bot.stops.trail import BOT, Trail
from bot.store import RequestRow, StopRecord
from bot.store.requests import AllTaken, RequestStore, Start

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Approvals:
    requests: RequestStore
    poster: Poster
    gate: Gate
    roots: Roots
    schedules: Schedules
    clock: Clock
    trail: Trail

    def _approvers(self, req: RequestRow) -> str:
        return mentions(req.approval.approvers if req.approval else (), self.gate.groups)

    def _request_message(self, req: RequestRow) -> Message:
        why = req.approval.why if req.approval else ""
        names = [t.name for t in req.targets]
        summary = StopRecord(req, ()).summary()
        return approval_request_message(summary, why, self._approvers(req), names, req.expires_at)

    async def open(self, req: RequestRow, place: Place) -> None:
        """Post the approval request where the request was made; it becomes the thread root."""
        opened = await self.roots.open(StopRecord(req, ()), place, self._request_message(req))
        if opened is not None:
            notice = asked_message(self._approvers(req), req.channel_id)
            await self.poster.tell(place, notice, replace=True)

    async def _decidable(self, request_id: str, place: Place) -> RequestRow | None:
        """The request if ``place``'s person may decide it now; else they are told why not."""
        now = self.clock()
        req = await self.requests.get(request_id)
        if req is None or req.state is not RequestState.AWAITING_APPROVAL:
            await self.poster.tell(place, _decided(req), replace=False)
            return None
        if req.expires_at <= now:
            await self.expire([req.id])
            await self.poster.tell(
                place, decided_message(RequestState.APPROVAL_EXPIRED, None), replace=False
            )
            return None
        if not await self._is_approver(req, place, audited=True):
            return None
        return req

    async def _is_approver(self, req: RequestRow, place: Place, *, audited: bool) -> bool:
        """Whether ``place``'s person is one of ``req``'s approvers; if not, they are told why
        (and, when ``audited``, the refusal is written to the audit)."""
        try:
            _, denial = await self.gate.approver(req, place.user_id)
        except DirectoryUnavailable:
            await self.poster.tell(place, directory_down_message(), replace=False)
            return False
        if denial is None:
            return True
        log.info("approval click refused", extra={"request": req.id, "why": denial.value})
        if audited:
            detail = {"step": "approve", "denial": denial.value}
            await self.trail.note(AuditKind.REFUSED, req, place.user_id, detail=detail)
        message = approver_refusal_message(denial, self._approvers(req), req.user_id)
        await self.poster.tell(place, message, replace=False)
        return False

    async def may_decide(self, request_id: str, place: Place) -> bool:
        """Before the reject modal opens: True if this person may decide."""
        return await self._decidable(request_id, place) is not None

    async def _with_root(self, req: RequestRow, place: Place | None = None) -> RequestRow:
        """The request with its approval message as root: adopted from the click, or found if
        Slack took the post without answering (so the thread hears what happens next)."""
        clicked = place.clicked_ts if place is not None else None
        return (await self.roots.adopt(StopRecord(req, ()), clicked)).request

    async def _rechecked(self, req: RequestRow, place: Place | None) -> Recheck | None:
        """The policy asked again; None if it cannot answer now (the clicker is told)."""
        try:
            return await self.gate.recheck(req)
        except (DirectoryUnavailable, CloudError) as exc:
            log.warning("policy re-check failed", extra={"request": req.id, "error": str(exc)})
            if place is not None:
                await self.poster.tell(place, recheck_failed_message(exc), replace=False)
            return None

    def _no_longer(self, req: RequestRow, check: Recheck) -> str:
        groups = self.gate.groups
        return no_longer_allowed_text(check.verdict, req.user_id, req.channel_id, groups)

    async def approve(self, request_id: str, place: Place) -> StopRecord | None:
        """The Approve button: the confirmed request, ready to send, if this click decided."""
        decidable = await self._decidable(request_id, place)
        if decidable is None:
            return None
        req = await self._with_root(decidable, place)
        check = await self._rechecked(req, place)
        if check is None:
            return None
        if not check.verdict.allowed:
            await self._close(req, None, self._no_longer(req, check), "refused by the policy")
            return None
        protected = check.protected
        now = self.clock()
        actor = await self.trail.who(place.user_id)
        audit = [self.trail.event(AuditKind.APPROVED, req, actor)]
        approved = RequestState.APPROVED
        if not await self.requests.decide(req.id, approved, place.user_id, now, None, audit=audit):
            fresh = await self.requests.get(req.id)
            await self.poster.tell(place, _decided(fresh), replace=False)
            return None
        log.info("request approved", extra={"request": req.id, "user": place.user_id})
        thread = thread_of(StopRecord(req, ()), self.poster)
        await thread.say(approved_reply(place.user_id, now, req.run_at))
        return await self._confirm(req, protected)

    async def _confirm(self, req: RequestRow, protected: dict[str, str]) -> StopRecord | None:
        """APPROVED → CONFIRMED with its chunks (or, for a later time, SCHEDULED and announced:
        None then); also how recovery finishes an approval."""
        if req.run_at is not None:
            await self.schedules.schedule(req, None, approved=True)
            return None
        now = self.clock()
        thread = thread_of(StopRecord(req, ()), self.poster)
        ids = chunks([t.id for t in req.targets])
        try:
            record = await self.requests.confirm(
                req.id, req.user_id, now, ids, by=Start.APPROVAL, protected=protected
            )
        except AllTaken as left:
            why = {"why": "every server is taken by another request or protected now"}
            audit = [self.trail.event(AuditKind.CANCELLED, req, BOT, detail=why)]
            await self.requests.move(req.id, RequestState.CANCELLED, now, audit)
            note = newly_protected_text(left.protected, req.names) if left.protected else ""
            await thread.say(nothing_left_message(bool(left.taken), note))
            return None
        if record is not None and protected:
            await thread.say(notice(newly_protected_text(protected, req.names)))
        return record

    async def resume(self, req: RequestRow) -> StopRecord | None:
        """A crash between the approval and its confirmation: the policy and the servers are
        checked again, as the approval did, then it is confirmed (or, if the policy says no
        now, cancelled and said). Nothing if the policy cannot answer yet: next minute."""
        req = await self._with_root(req)
        check = await self._rechecked(req, None)
        if check is None:
            return None
        if not check.verdict.allowed:
            why = self._no_longer(req, check)
            audit = [self.trail.event(AuditKind.CANCELLED, req, BOT, detail={"why": why})]
            if await self.requests.move(req.id, RequestState.CANCELLED, self.clock(), audit):
                thread = thread_of(StopRecord(req, ()), self.poster)
                await thread.say(not_stopped_after_all_message(why))
            return None
        return await self._confirm(req, check.protected)

    async def reject(self, request_id: str, place: Place, note: str | None) -> None:
        """The Reject modal submitted (or a Reject click when no modal could open)."""
        req = await self._decidable(request_id, place)
        if req is None:
            return
        clean = " ".join(note.split())[:500] if note else None
        if not await self._close(await self._with_root(req), place.user_id, clean, "rejected"):
            fresh = await self.requests.get(req.id)
            await self.poster.tell(place, _decided(fresh), replace=False)

    async def _close(self, req: RequestRow, by: str | None, note: str | None, outcome: str) -> bool:
        """AWAITING_APPROVAL → REJECTED; False if another decision came first."""
        now = self.clock()
        detail = {"note": note or "", "outcome": outcome}
        audit = [self.trail.event(AuditKind.REJECTED, req, await self.trail.who(by), detail=detail)]
        if not await self.requests.decide(
            req.id, RequestState.REJECTED, by, now, note, audit=audit
        ):
            return False
        log.info("request rejected", extra={"request": req.id, "by": by or "policy"})
        await self._closed(req, outcome, rejected_reply(by, now, note))
        return True

    async def _closed(self, req: RequestRow, outcome: str, reply: Message) -> None:
        """The approval request will stop nothing now: its root says ``outcome`` (no buttons)
        and the thread gets ``reply``."""
        record = StopRecord(req, ())
        thread = thread_of(record, self.poster)
        why = req.approval.why if req.approval else ""
        names = [t.name for t in req.targets]
        await thread.show(
            approval_closed_message(record.summary(), outcome, names, why), final=True
        )
        await thread.say(reply)

    async def withdraw(self, request_id: str, place: Place) -> None:
        """The requester takes their approval request back (only they, only while it waits)."""
        now = self.clock()
        req = await self.requests.get(request_id)
        if req is None or req.state is not RequestState.AWAITING_APPROVAL:
            await self.poster.tell(place, _decided(req), replace=False)
            return
        if req.user_id != place.user_id:
            await self.poster.tell(place, not_your_request_message(req.user_id), replace=False)
            return
        actor = await self.trail.who(place.user_id)
        audit = [self.trail.event(AuditKind.CANCELLED, req, actor, detail={"how": "withdrawn"})]
        if not await self.requests.cancel(req.id, place.user_id, now, audit):
            fresh = await self.requests.get(req.id)
            await self.poster.tell(place, _decided(fresh), replace=False)
            return
        log.info("approval request withdrawn", extra={"request": req.id})
        req = await self._with_root(req, place)
        await self._closed(req, "withdrawn", withdrawn_reply(req.user_id, now))

    async def expire(self, ids: list[str] | None = None) -> list[str]:
        """Approval requests past their time (housekeeping, or a late click): say so."""
        now = self.clock()
        expired = await self.requests.expire_approvals(
            now, only=ids, audit=lambda r: [self.trail.event(AuditKind.APPROVAL_EXPIRED, r, BOT)]
        )
        ttl = duration(self.gate.approval_ttl)
        for req in expired:
            closed = await self._with_root(req)
            await self._closed(closed, "approval expired", expired_reply(req.user_id, ttl))
        return [r.id for r in expired]

    async def post_review(self, record: StopRecord, *, alert_failed: bool = False) -> None:
        """Break glass: the approval request posted for review, with Acknowledge (and, if the
        audit channel would not take its alert, that said here instead)."""
        req = record.request
        why = req.approval.why if req.approval else ""
        thread = thread_of(record, self.poster)
        await thread.say(review_message(record.summary(), why, self._approvers(req)))
        if alert_failed:
            await thread.say(alert_failed_message(self.trail.channel))

    async def repost_unseen(self) -> None:
        """Approval requests whose message Slack never confirmed: find it, or post it again
        (housekeeping), so the approvers can see and decide them."""
        for req in await self.requests.in_states([RequestState.AWAITING_APPROVAL]):
            if req.root_ts is None:
                await self.roots.open(StopRecord(req, ()), None, self._request_message(req))

    async def acknowledge(self, request_id: str, place: Place) -> None:
        req = await self.requests.get(request_id)
        if req is None or not req.break_glass:
            await self.poster.tell(place, _decided(req), replace=False)
            return
        if not await self._is_approver(req, place, audited=False):
            return
        now = self.clock()
        audit = [self.trail.event(AuditKind.ACKNOWLEDGED, req, await self.trail.who(place.user_id))]
        if not await self.requests.acknowledge(req.id, place.user_id, now, audit):
            fresh = await self.requests.get(req.id)
            by = fresh.acknowledged_by if fresh else None
            await self.poster.tell(place, already_reviewed_message(by), replace=False)
            return
        thread = thread_of(StopRecord(req, ()), self.poster)
        await thread.say(acknowledged_reply(place.user_id, now))


def _decided(req: RequestRow | None) -> Message:
    """What became of a request a click came too late for."""
    return decided_message(req.state if req else None, req.decided_by if req else None)
