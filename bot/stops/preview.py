"""Step 1: look the servers up in one batch, and store a request awaiting its requester's click."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.bms.models import Server
from bot.core.classify import classify
from bot.core.clock import Timing
from bot.core.models import Preview
from bot.core.parser import StopCommand
from bot.logs import request_id_var
from bot.policy.decide import Verdict
from bot.slack.place import Place
from bot.stops.gate import Gate
from bot.stops.ports import Clock, StopCloud
from bot.stops.trail import Trail
from bot.store import NewRequest, RequestRow
from bot.store.requests import RequestStore

log = logging.getLogger(__name__)


def new_request_id() -> str:
    """Short, unguessable, and all a button carries."""
    return "req_" + secrets.token_hex(6)


@dataclass(frozen=True)
class Previews:
    cloud: StopCloud
    requests: RequestStore
    gate: Gate
    timing: Timing
    clock: Clock
    trail: Trail

    async def again(
        self, req: RequestRow, server_ids: Sequence[str], found: Mapping[str, Server]
    ) -> Preview:
        """A new request for a stop Huawei never acted on, as the requester asked for it, in the
        same thread: its button ("Submit again") goes through the same checks as any confirm."""
        preview = await self._store(
            server_ids,
            found,
            Place(req.team_id, req.channel_id, req.user_id, req.origin, req.thread_ts, None),
            soft=req.soft,
            reason=req.reason,
            kept_rule=req.rule or "",
        )
        log.info("resubmission offered", extra={"request": req.id, "again": preview.request_id})
        return preview

    async def prepare(
        self,
        command: StopCommand,
        place: Place,
        verdict: Verdict,
        run_at: datetime | None = None,
        tz: str | None = None,
        *,
        found: Mapping[str, Server] | None = None,
    ) -> Preview:
        """Classify every id (``CloudError`` if the lookup fails), leaving protected servers
        out; store the request, with what the policy asks of it, if anything is left to stop.
        ``run_at``: a scheduled stop's time (``tz``: the zone it was read in); ``found``: the
        servers a ``tag:`` selection listed already (not looked up again)."""
        if found is None:
            found = await self.cloud.find_servers(command.server_ids)
        preview = await self._store(
            command.server_ids,
            found,
            place,
            soft=command.soft,
            reason=command.reason,
            verdict=verdict,
            break_glass=command.break_glass,
            run_at=run_at,
            tz=tz,
        )
        request_id_var.set(preview.request_id)  # this listener runs in its own task: it stays
        log.info(
            "preview ready",
            extra={
                "request": preview.request_id,
                "targets": len(preview.targets),
                "skipped": len(preview.skipped),
                "user": place.user_id,
            },
        )
        return preview

    async def _store(
        self,
        server_ids: Sequence[str],
        found: Mapping[str, Server],
        place: Place,
        *,
        soft: bool,
        reason: str | None,
        verdict: Verdict | None = None,
        break_glass: bool = False,
        kept_rule: str = "",
        run_at: datetime | None = None,
        tz: str | None = None,
    ) -> Preview:
        """Classify, and store a PREVIEWED request for ``place`` if anything is left to stop.
        ``verdict`` None: a resubmission, which keeps what its request was decided under."""
        targets, skipped = classify(server_ids, found, self.gate.protected(server_ids, found))
        approval = None
        if verdict is not None:
            approval = self.gate.approval(verdict, [found[t.id] for t in targets])
        now = self.clock()
        preview = Preview(
            request_id=new_request_id(),
            user_id=place.user_id,
            targets=targets,
            skipped=skipped,
            soft=soft,
            reason=reason,
            expires_at=datetime.fromtimestamp(self.timing.preview_expiry(now), UTC),
            rule=verdict.rule if verdict else kept_rule,
            approval=approval,
            break_glass=break_glass and approval is not None,
            run_at=run_at,
            tz=tz,
        )
        new = NewRequest(
            preview=preview,
            team_id=place.team_id,
            channel_id=place.channel_id,
            origin=place.origin,
            thread_ts=place.thread_ts,
            response_url=place.response_url,
            created_at=now,
        )
        actor = await self.trail.who(place.user_id)
        entry = self.trail.requested(preview, place.channel_id, actor)
        if targets:
            await self.requests.add(new, audit=[entry])
        else:  # nothing stored (nothing to stop), but the request was made
            await self.trail.audit.append(entry)
        return preview
