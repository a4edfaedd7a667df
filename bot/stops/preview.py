"""Step 1: look the servers up in one batch, and store a request awaiting its requester's click."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.classify import classify
from bot.core.clock import Timing
from bot.core.models import Preview
from bot.core.parser import StopCommand
from bot.logs import request_id_var
from bot.slack.place import Place
from bot.stops.ports import Clock, StopCloud
from bot.store import NewRequest
from bot.store.requests import RequestStore

log = logging.getLogger(__name__)


def new_request_id() -> str:
    """Short, unguessable, and all a button carries."""
    return "req_" + secrets.token_hex(6)


@dataclass(frozen=True)
class Previews:
    cloud: StopCloud
    requests: RequestStore
    timing: Timing
    clock: Clock

    async def prepare(self, command: StopCommand, place: Place) -> Preview:
        """Classify every id (``CloudError`` if the lookup fails); store the request if anything
        is left to stop."""
        found = await self.cloud.find_servers(command.server_ids)
        targets, skipped = classify(command.server_ids, found)
        now = self.clock()
        request_id = new_request_id()
        request_id_var.set(request_id)  # this listener runs in its own task: the tag stays with it
        preview = Preview(
            request_id=request_id,
            user_id=place.user_id,
            targets=targets,
            skipped=skipped,
            soft=command.soft,
            reason=command.reason,
            expires_at=datetime.fromtimestamp(self.timing.preview_expiry(now), UTC),
        )
        if targets:
            await self.requests.add(
                NewRequest(
                    preview=preview,
                    team_id=place.team_id,
                    channel_id=place.channel_id,
                    origin=place.origin,
                    thread_ts=place.thread_ts,
                    response_url=place.response_url,
                    created_at=now,
                )
            )
        log.info(
            "preview ready",
            extra={
                "request": preview.request_id,
                "targets": len(targets),
                "skipped": len(skipped),
                "user": place.user_id,
            },
        )
        return preview
