"""Step 2: the requester's click. One compare-and-set decides the single winner among double clicks,
concurrent clicks and replays; every loser is told what happened instead."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from bot.blocks.message import Message
from bot.blocks.notices import (
    already_handled_message,
    cancelled_message,
    expired_message,
    not_yours_message,
    taken_message,
)
from bot.blocks.policy import (
    protected_since_message,
    recheck_failed_message,
    refused_message,
)
from bot.bms.errors import CloudError
from bot.core.audit import AuditKind
from bot.core.clicks import Refusal, refusal
from bot.core.clock import Timing
from bot.core.lifecycle import RequestState, chunks
from bot.core.models import Approval
from bot.logs import request_id_var
from bot.policy.people import DirectoryUnavailable
from bot.slack.place import Place
from bot.slack.poster import Poster
from bot.stops.gate import Gate, Recheck
from bot.stops.ports import Clock
from bot.stops.trail import BOT, Trail, refusal_detail
from bot.store import RequestRow, StopRecord
from bot.store.requests import AllTaken, RequestStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Asked:
    """The requester's click asked for an approval instead of stopping anything."""

    request: RequestRow


@dataclass(frozen=True, slots=True)
class ToSchedule:
    """The requester's click on a scheduled preview: it is to be scheduled and announced."""

    request: RequestRow


@dataclass(frozen=True)
class Clicks:
    requests: RequestStore
    poster: Poster
    gate: Gate
    timing: Timing
    clock: Clock
    trail: Trail

    async def confirm(  # noqa: PLR0911 - each way a click can end returns what it became
        self, request_id: str, place: Place
    ) -> StopRecord | Asked | ToSchedule | None:
        """The confirmed request with its chunks if this click won; ``Asked`` if the policy
        wants a second person first; ``ToSchedule`` for a stop at a later time (its own
        compare-and-set decides that click); None if it was refused."""
        request_id_var.set(request_id)  # every log line of this click (its own task) names it
        now = self.clock()
        req = await self.requests.get(request_id)
        if await self._refused(req, place, now):
            return None
        assert req is not None  # a missing request is always refused
        check = await self._policy_allows(req, place)
        if check is None:
            return None
        rule, protected = check.verdict.rule, check.protected
        # Asked for at the preview, or by the grant that decides now (servers as they are now).
        approval = req.approval or check.approval
        if approval is not None and not req.break_glass:
            return await self._ask(req, place, now, approval, rule)
        if req.run_at is not None:
            return ToSchedule(dataclasses.replace(req, rule=rule))
        ids = chunks([t.id for t in req.targets])
        try:
            record = await self.requests.confirm(
                request_id,
                place.user_id,
                now,
                ids,
                protected=protected,
                rule=rule,
            )  # its audit entry is written with its root, once it is public (Roots)
        except AllTaken as all_taken:
            await self._left_out(place, req, all_taken.taken, all_taken.protected, left=0)
            return None
        if record is None:
            # Lost a race with a concurrent click (or the clock ran out meanwhile): say so.
            fresh = await self.requests.get(request_id)
            if not await self._refused(fresh, place, now):
                # The winner put it back meanwhile (it could not post here): click again.
                await self.poster.tell(place, already_handled_message("previewed"), replace=False)
            return None
        log.info("request confirmed", extra={"request": request_id, "user": place.user_id})
        taken = {s.id: s.by_request for s in record.request.skipped if s.by_request}
        await self._left_out(place, req, taken, protected, left=len(record.request.targets))
        return record

    async def _left_out(
        self,
        place: Place,
        req: RequestRow,
        taken: dict[str, str],
        protected: dict[str, str],
        *,
        left: int,
    ) -> None:
        """Tell the clicker which servers the confirmation left out, and why."""
        if taken:
            await self.poster.tell(place, taken_message(taken, req.names, left=left), replace=False)
        if protected:
            notice = protected_since_message(protected, req.names, left=left)
            await self.poster.tell(place, notice, replace=False)

    async def _policy_allows(self, req: RequestRow, place: Place) -> Recheck | None:
        """The policy checked again at the click, or None when the requester may no longer
        stop these servers (they are told why)."""
        try:
            check = await self.gate.recheck(req)
        except (DirectoryUnavailable, CloudError) as exc:
            await self.poster.tell(place, recheck_failed_message(exc), replace=False)
            return None
        verdict = check.verdict
        if not verdict.allowed:
            log.info("confirmation refused by the policy", extra={"denial": verdict.denial})
            detail = refusal_detail(verdict, "confirm", req.channel_id, self.gate.groups)
            await self.trail.note(
                AuditKind.REFUSED, req, place.user_id, rule=verdict.rule, detail=detail
            )
            notice = refused_message(verdict, req.channel_id, self.gate.groups)
            await self.poster.tell(place, notice, replace=False)
            return None
        return check

    async def _ask(
        self, req: RequestRow, place: Place, now: float, approval: Approval, rule: str
    ) -> Asked | None:
        until = now + self.gate.approval_ttl
        asked = dataclasses.replace(
            req,
            state=RequestState.AWAITING_APPROVAL,
            expires_at=until,
            approval=approval,
            rule=rule,
        )
        # Its audit entry is written with the approval message, once it is public (Roots).
        if await self.requests.ask_approval(
            req.id, place.user_id, now, until, approval=approval, rule=rule
        ):
            log.info("approval asked", extra={"request": req.id, "user": place.user_id})
            return Asked(asked)
        fresh = await self.requests.get(req.id)
        if not await self._refused(fresh, place, now):
            await self.poster.tell(place, already_handled_message("previewed"), replace=False)
        return None

    async def cancel(self, request_id: str, place: Place) -> None:
        """Only the requester, only while previewed; anyone else is told why not."""
        request_id_var.set(request_id)
        now = self.clock()
        req = await self.requests.get(request_id)
        if await self._refused(req, place, now):
            return
        audit = [self.trail.event(AuditKind.CANCELLED, req, await self.trail.who(place.user_id))]
        if not await self.requests.cancel(request_id, place.user_id, now, audit):
            await self._refused(await self.requests.get(request_id), place, now)
            return
        log.info("request cancelled", extra={"request": request_id, "user": place.user_id})
        await self.poster.tell(place, cancelled_message(), replace=True)

    async def _refused(self, req: RequestRow | None, place: Place, now: float) -> bool:
        """Answer a click that cannot act; True if it was refused."""
        why = refusal(req, place.user_id, now)
        if why is None:
            return False
        if why is Refusal.EXPIRED and req is not None:
            audit = [self.trail.event(AuditKind.EXPIRED, req, BOT)]
            await self.requests.move(req.id, RequestState.EXPIRED, now, audit)
        message, replace = self._refusal_message(why, req)
        await self.poster.tell(place, message, replace=replace)
        return True

    def _refusal_message(self, why: Refusal, req: RequestRow | None) -> tuple[Message, bool]:
        """What to tell the clicker, and whether it replaces the preview."""
        if why is Refusal.NOT_YOURS and req is not None:
            return not_yours_message(req.user_id), False
        if why is Refusal.HANDLED and req is not None:
            return already_handled_message(req.state.value), False
        return expired_message(self.timing.confirm_ttl), True
