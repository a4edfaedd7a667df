"""Step 1 of a stop: look the servers up and store a request awaiting its requester's click."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime

from bot.core.classify import classify
from bot.core.models import Preview
from bot.core.parser import StopCommand
from bot.deps import Deps
from bot.flow.place import Place
from bot.logs import request_id_var
from bot.store.rows import NewRequest

log = logging.getLogger(__name__)


def new_request_id() -> str:
    """Short, unguessable, and all a button carries."""
    return "req_" + secrets.token_hex(6)


async def prepare_stop(deps: Deps, command: StopCommand, place: Place) -> Preview:
    """Look up every id in one batch, classify, and store the request if anything is left."""
    found = await deps.bms.find_servers(command.server_ids)
    targets, skipped = classify(command.server_ids, found)
    now = deps.now()
    request_id = new_request_id()
    request_id_var.set(request_id)  # this listener runs in its own task: the tag stays with it
    preview = Preview(
        request_id=request_id,
        user_id=place.user_id,
        targets=targets,
        skipped=skipped,
        soft=command.soft,
        reason=command.reason,
        expires_at=datetime.fromtimestamp(now + deps.settings.bms_confirm_ttl, UTC),
        simulated=deps.simulated,
    )
    if targets:
        await deps.store.create_request(
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
