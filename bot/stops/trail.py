"""What the audit trail hears from each step: one ``AuditEvent`` per thing that happened, with
who, where, what and which rule decided; and the ``[audit] channel`` lines.

Every entry that describes a state change is written in the same transaction as that change's
compare-and-set (the store's ``audit=`` arguments): a crash cannot keep one without the other, and
a replayed click or a losing replica never writes a second entry. Refusals change nothing and are
written on their own.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.blocks.message import Message
from bot.blocks.policy import refusal_text
from bot.core.audit import AuditEvent, AuditKind
from bot.core.models import Preview
from bot.policy.decide import Verdict
from bot.policy.people import DirectoryUnavailable, GroupIndex
from bot.slack.poster import Poster, SlackFailure
from bot.stops.ports import Clock, People
from bot.store import RequestRow, StopRecord
from bot.store.audit import AuditLog

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something, as the audit names them."""

    id: str | None
    name: str | None


BOT = Actor(None, None)


@dataclass(frozen=True)
class Trail:
    audit: AuditLog
    people: People
    poster: Poster
    clock: Clock
    channel: str | None = None  # [audit] channel

    async def who(self, user_id: str | None) -> Actor:
        """The person behind ``user_id`` with their display name (looked up before any
        transaction the entry is written in); the bot itself for None."""
        if user_id is None:
            return BOT
        try:
            return Actor(user_id, (await self.people.person(user_id)).name or None)
        except DirectoryUnavailable:
            return Actor(user_id, None)

    def link(self, req: RequestRow) -> str | None:
        """The request's thread; before its first public message, where it was asked: the
        incident thread of a mention, or the channel."""
        if req.root_ts:
            return self.poster.permalink(req.channel_id, req.root_ts, req.thread_ts)
        if req.thread_ts:
            return self.poster.permalink(req.channel_id, req.thread_ts)
        return self.poster.channel_url(req.channel_id)

    def event(
        self,
        kind: AuditKind,
        req: RequestRow | None,
        actor: Actor,
        *,
        channel: str | None = None,
        rule: str | None = None,
        detail: Mapping[str, str] | None = None,
        job_ids: Sequence[str] = (),
        targets: Sequence[str] | None = None,
        cloud_request_ids: Sequence[str] = (),
        at: float | None = None,
    ) -> AuditEvent:
        """One entry about ``req`` (None: a refusal before any request existed), to be written
        with the state change it describes."""
        shown = tuple(targets) if targets is not None else _ids(req)
        return AuditEvent(
            kind=kind,
            at=self.clock() if at is None else at,
            actor_id=actor.id,
            actor_name=actor.name,
            channel_id=channel or (req.channel_id if req else None),
            thread_link=self.link(req) if req else None,
            request_id=req.id if req else None,
            targets=shown,
            count=len(shown),
            stop_type=("soft" if req.soft else "hard") if req else None,
            reason=req.reason if req else None,
            rule=rule if rule is not None else (req.rule if req else None),
            job_ids=tuple(job_ids),
            cloud_request_ids=tuple(cloud_request_ids),
            detail=dict(detail or {}),
        )

    async def note(
        self,
        kind: AuditKind,
        req: RequestRow | None,
        actor_id: str | None,
        *,
        channel: str | None = None,
        rule: str | None = None,
        detail: Mapping[str, str] | None = None,
        targets: Sequence[str] | None = None,
    ) -> None:
        """An entry that goes with no state change (a refusal), written on its own."""
        actor = await self.who(actor_id)
        event = self.event(
            kind, req, actor, channel=channel, rule=rule, detail=detail, targets=targets
        )
        await self.audit.append(event)

    def requested(self, preview: Preview, channel_id: str, actor: Actor) -> AuditEvent:
        """The entry a new request is stored with."""
        return AuditEvent(
            kind=AuditKind.REQUESTED,
            at=self.clock(),
            actor_id=actor.id,
            actor_name=actor.name,
            channel_id=channel_id,
            thread_link=None,
            request_id=preview.request_id,
            targets=tuple(t.id for t in preview.targets),
            count=len(preview.targets),
            stop_type="soft" if preview.soft else "hard",
            reason=preview.reason,
            rule=preview.rule or None,
            detail={"skipped": str(len(preview.skipped))},
        )

    def outcome(self, record: StopRecord, state: str) -> list[AuditEvent]:
        """The end of a stop, written with its final move: each job's result, each server's
        outcome, FINISHED (or TIMED_OUT)."""
        req, now = record.request, self.clock()  # one moment for the whole outcome
        events = [
            self.event(
                AuditKind.JOB_RESULT,
                req,
                BOT,
                at=now,
                targets=c.server_ids,
                job_ids=(c.job_id,) if c.job_id else (),
                detail={
                    "chunk": str(c.chunk_no),
                    "state": c.state.value,
                    "job_status": c.job_status or "",
                    "error_code": c.error_code or "",
                },
            )
            for c in record.chunks
        ]
        events += [
            self.event(
                AuditKind.SERVER_OUTCOME,
                req,
                BOT,
                at=now,
                targets=(r.server_id,),
                job_ids=(r.job_id,) if r.job_id else (),
                detail={
                    "name": r.name,
                    "outcome": r.outcome.value,
                    "error_code": r.error_code or "",
                    "fail_reason": r.fail_reason or "",
                },
            )
            for r in record.results()
        ]
        finished = self.event(
            AuditKind.FINISHED,
            req,
            BOT,
            at=now,
            targets=_ids(req),
            job_ids=record.job_ids,
            detail={"outcome": state},
        )
        return [*events, finished]

    async def announce(self, message: Message) -> bool:
        """A line in ``[audit] channel``; False if Slack would not take it (the audit table
        has the entry in any case). True when there is no audit channel."""
        if self.channel is None:
            return True
        try:
            await self.poster.post(self.channel, message)
        except SlackFailure as exc:
            log.error("could not post in the audit channel", extra={"error": exc.error})
            return False
        return True


def refusal_detail(
    verdict: Verdict, step: str, channel_id: str, groups: GroupIndex
) -> dict[str, str]:
    """What the audit keeps of a policy refusal: the step, the denial, the words shown."""
    why = refusal_text(verdict, channel_id, groups)
    return {"step": step, "denial": str(verdict.denial or ""), "why": why}


def _ids(req: RequestRow | None) -> tuple[str, ...]:
    return tuple(t.id for t in req.targets) if req else ()
