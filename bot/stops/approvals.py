"""Two-person approval: the approval request in the channel, Approve, Reject, expiry, and the
break-glass review. Each decision is one compare-and-set on the row (``RequestStore.decide``),
so double clicks, two approvers at once and replays decide exactly once."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.blocks.approval import (
    acknowledged_reply,
    approval_closed_message,
    approval_request_message,
    approved_reply,
    asked_message,
    expired_reply,
    rejected_reply,
    review_message,
    withdrawn_reply,
)
from bot.blocks.message import Message, build, section
from bot.blocks.notices import already_handled_message, cloud_error_message
from bot.blocks.policy import (
    approver_refusal_message,
    directory_down_message,
    mentions,
    newly_protected_text,
    no_longer_allowed_text,
)
from bot.blocks.text import duration, user_mention
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
from bot.stops.trail import BOT, Trail
from bot.store import RequestRow, StopRecord
from bot.store.requests import AllTaken, RequestStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Approvals:
    requests: RequestStore
    poster: Poster
    gate: Gate
    roots: Roots
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
            state = req.state.value if req else "gone"
            await self.poster.tell(place, decided_message(req, state), replace=False)
            return None
        if req.expires_at <= now:
            await self.expire([req.id])
            await self.poster.tell(place, decided_message(req, "approval_expired"), replace=False)
            return None
        try:
            _, denial = await self.gate.approver(req, place.user_id)
        except DirectoryUnavailable:
            await self.poster.tell(place, directory_down_message(), replace=False)
            return None
        if denial is not None:
            log.info("approval click refused", extra={"request": req.id, "why": denial.value})
            detail = {"step": "approve", "denial": denial.value}
            await self.trail.note(AuditKind.REFUSED, req, place.user_id, detail=detail)
            notice = approver_refusal_message(denial, self._approvers(req), req.user_id)
            await self.poster.tell(place, notice, replace=False)
            return None
        return req

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
                notice = (
                    cloud_error_message(exc, "checking the servers again")
                    if isinstance(exc, CloudError)
                    else directory_down_message()
                )
                await self.poster.tell(place, notice, replace=False)
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
            await self.poster.tell(place, decided_message(fresh, "decided"), replace=False)
            return None
        log.info("request approved", extra={"request": req.id, "user": place.user_id})
        thread = thread_of(StopRecord(req, ()), self.poster)
        await thread.say(approved_reply(place.user_id, now))
        return await self._confirm(req, protected)

    async def _confirm(self, req: RequestRow, protected: dict[str, str]) -> StopRecord | None:
        """APPROVED → CONFIRMED with its chunks; also how recovery finishes an approval."""
        now = self.clock()
        thread = thread_of(StopRecord(req, ()), self.poster)
        ids = chunks([t.id for t in req.targets])
        try:
            record = await self.requests.confirm(
                req.id, req.user_id, now, ids, approved=True, protected=protected
            )
        except AllTaken as left:
            why = {"why": "every server is taken by another request or protected now"}
            audit = [self.trail.event(AuditKind.CANCELLED, req, BOT, detail=why)]
            await self.requests.move(req.id, RequestState.CANCELLED, now, audit)
            note = newly_protected_text(left.protected, req.names) if left.protected else ""
            taken = "Another request is already stopping every server." if left.taken else ""
            await thread.say(_note(f"{taken} {note} Nothing was sent.".strip()))
            return None
        if record is not None and protected:
            await thread.say(_note(newly_protected_text(protected, req.names)))
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
                await thread.say(_note(f"Not stopped after all: {why}. Nothing was sent."))
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
            await self.poster.tell(place, decided_message(fresh, "decided"), replace=False)

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
            await self.poster.tell(place, decided_message(req, "gone"), replace=False)
            return
        if req.user_id != place.user_id:
            notice = _note(f"Only {user_mention(req.user_id)} can withdraw their request.")
            await self.poster.tell(place, notice, replace=False)
            return
        actor = await self.trail.who(place.user_id)
        audit = [self.trail.event(AuditKind.CANCELLED, req, actor, detail={"how": "withdrawn"})]
        if not await self.requests.cancel(req.id, place.user_id, now, audit):
            fresh = await self.requests.get(req.id)
            await self.poster.tell(place, decided_message(fresh, "decided"), replace=False)
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
            where = self.trail.channel or "the audit channel"
            await thread.say(
                _note(
                    f"⚠️ The break-glass alert could not be posted in the audit channel "
                    f"<#{where}> (is the bot in it?). The audit trail has it; tell the "
                    "approvers directly."
                )
            )

    async def repost_unseen(self) -> None:
        """Approval requests whose message Slack never confirmed: find it, or post it again
        (housekeeping), so the approvers can see and decide them."""
        for req in await self.requests.in_states([RequestState.AWAITING_APPROVAL]):
            if req.root_ts is None:
                await self.roots.open(StopRecord(req, ()), None, self._request_message(req))

    async def acknowledge(self, request_id: str, place: Place) -> None:
        req = await self.requests.get(request_id)
        if req is None or not req.break_glass:
            await self.poster.tell(place, decided_message(req, "gone"), replace=False)
            return
        try:
            _, denial = await self.gate.approver(req, place.user_id)
        except DirectoryUnavailable:
            await self.poster.tell(place, directory_down_message(), replace=False)
            return
        if denial is not None:
            notice = approver_refusal_message(denial, self._approvers(req), req.user_id)
            await self.poster.tell(place, notice, replace=False)
            return
        now = self.clock()
        audit = [self.trail.event(AuditKind.ACKNOWLEDGED, req, await self.trail.who(place.user_id))]
        if not await self.requests.acknowledge(req.id, place.user_id, now, audit):
            fresh = await self.requests.get(req.id)
            by = fresh.acknowledged_by if fresh else None
            await self.poster.tell(place, _note(f"Already reviewed by <@{by}>."), replace=False)
            return
        thread = thread_of(StopRecord(req, ()), self.poster)
        await thread.say(acknowledged_reply(place.user_id, now))


def _note(text: str) -> Message:
    return build(text, [section(text)])


def decided_message(req: RequestRow | None, state: str) -> Message:
    """A click on an approval that is no longer open: what became of it."""
    if req is not None and req.decided_by and req.state is not RequestState.AWAITING_APPROVAL:
        verb = "approved" if req.state is not RequestState.REJECTED else "rejected"
        return _note(f"This request was already {verb} by <@{req.decided_by}>.")
    if state == "approval_expired" or (req and req.state is RequestState.APPROVAL_EXPIRED):
        return _note("This approval request has expired. Nothing was stopped.")
    if req is not None and req.state is RequestState.REJECTED:
        return _note("This request was already rejected. Nothing was stopped.")
    return already_handled_message(req.state.value if req else state)
