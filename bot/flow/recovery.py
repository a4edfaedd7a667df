"""Start-up and housekeeping: rebuild the schedule from the rows; finish what a crash cut."""

from __future__ import annotations

import logging

from bot.bms.errors import CloudRejected, CloudUnavailable
from bot.core.lifecycle import ChunkState, RequestState
from bot.deps import Deps
from bot.flow.launch import launch
from bot.flow.submit import mark_uncertain, reject
from bot.store.rows import RequestRow

log = logging.getLogger(__name__)
EVENT_MEMORY_SECONDS = 24 * 3600


def stale_claim_seconds(deps: Deps) -> float:
    """Longer than any POST with its retries can take: a claim this old has no live sender."""
    s = deps.settings
    return 2 * s.bms_http_timeout + s.bms_retry_max_seconds + 10


async def resume_all(deps: Deps) -> None:
    """Called once at start: poll what was being polled, finish what was being confirmed."""
    for req in await deps.store.active_requests():
        try:
            if req.state is RequestState.CONFIRMED:
                await resume_confirmed(deps, req, at_start=True)
            else:
                deps.watcher.watch(req.id, first_in=0)
        except Exception:  # one request must not keep the bot from starting; housekeeping retries
            log.exception("could not resume a request", extra={"request": req.id})
    log.info("recovered", extra={"watching": len(deps.watcher.watching())})


async def resume_confirmed(deps: Deps, req: RequestRow, *, at_start: bool = False) -> None:
    """A crash between the click and the end of submission: settle each chunk, then go on.

    A chunk still SUBMITTING was claimed by a sender that may have reached Huawei. At start-up
    its sender is known dead (one replica: this process is the only one, and it just started);
    while running, only a claim older than any send can take is. Either way it is uncertain,
    never resent. (With several replicas, "dead" must come from the claimer's lease instead.)
    """
    now = deps.now()
    too_old = now - (req.confirmed_at or now) > deps.settings.bms_confirm_ttl
    for chunk in await deps.store.chunks(req.id):
        orphaned = at_start or now - chunk.updated_at > stale_claim_seconds(deps)
        if chunk.state is ChunkState.SUBMITTING and orphaned:
            err = CloudUnavailable("the bot stopped while sending this stop", maybe_sent=True)
            await mark_uncertain(deps, req, chunk, err)
        elif chunk.state is ChunkState.PENDING and too_old:
            err2 = CloudRejected(
                "not sent: the bot was down for longer than the confirmation window, so this "
                "old confirmation was not acted on. Run the command again if it is still needed.",
                code="BOT.STALE",
            )
            await reject(deps, req, chunk, err2)
    await launch(deps, req.id, None)


async def housekeeping(deps: Deps) -> None:
    """Every minute: expire unanswered previews, forget old events, re-drive stuck ones."""
    try:
        now = deps.now()
        expired = await deps.store.expire_previews(now)
        await deps.store.forget_events(now - EVENT_MEMORY_SECONDS)
        for req in await deps.store.requests_in([RequestState.CONFIRMED]):
            if now - (req.confirmed_at or now) > stale_claim_seconds(deps):
                try:
                    await resume_confirmed(deps, req)
                except Exception:
                    log.exception("could not resume a request", extra={"request": req.id})
        if expired:
            log.info("previews expired", extra={"count": expired})
    except Exception:
        log.exception("housekeeping failed; retrying next minute")
