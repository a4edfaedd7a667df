"""Step 2: the requester's click. One compare-and-set decides the single winner among double clicks,
concurrent clicks and replays; only the winner goes on to post the thread root and submit."""

from __future__ import annotations

import logging

from bot.blocks.notices import (
    already_handled_message,
    cancelled_message,
    expired_message,
    not_yours_message,
)
from bot.core.lifecycle import RequestState, chunks
from bot.deps import Deps
from bot.flow.launch import launch
from bot.flow.place import Place, tell
from bot.logs import request_id_var
from bot.store.repo import R
from bot.store.rows import RequestRow

log = logging.getLogger(__name__)


async def _refuse_if_unavailable(deps: Deps, req: RequestRow | None, place: Place) -> bool:
    """Answer a click that cannot proceed; True if it was refused."""
    ttl_minutes = round(deps.settings.bms_confirm_ttl / 60)
    if req is None:
        await tell(
            deps.poster, place, expired_message(ttl_minutes, simulated=deps.simulated), replace=True
        )
        return True
    if req.user_id != place.user_id:
        await tell(
            deps.poster,
            place,
            not_yours_message(req.user_id, simulated=deps.simulated),
            replace=False,
        )
        return True
    if req.state is RequestState.PREVIEWED and req.expires_at <= deps.now():
        await deps.store.move(req.id, RequestState.EXPIRED, deps.now())
        await tell(
            deps.poster, place, expired_message(ttl_minutes, simulated=deps.simulated), replace=True
        )
        return True
    if req.state is not RequestState.PREVIEWED:
        await tell(
            deps.poster,
            place,
            already_handled_message(req.state.value, simulated=deps.simulated),
            replace=False,
        )
        return True
    return False


async def on_confirm(deps: Deps, request_id: str, place: Place) -> None:
    request_id_var.set(request_id)  # every log line of this click (its own task) names the request
    req = await deps.store.get_request(request_id)
    if await _refuse_if_unavailable(deps, req, place):
        return
    assert req is not None  # checked above; narrows the type
    won = await deps.store.confirm(
        request_id, place.user_id, deps.now(), chunks([t.id for t in req.targets])
    )
    if not won:
        # Lost a race with a concurrent click (or the clock ran out meanwhile): say what happened.
        fresh = await deps.store.get_request(request_id)
        if not await _refuse_if_unavailable(deps, fresh, place):
            # The winner put it back meanwhile (it could not post here): the button works again.
            message = already_handled_message("previewed", simulated=deps.simulated)
            await tell(deps.poster, place, message, replace=False)
        return
    log.info("request confirmed", extra={"request": request_id, "user": place.user_id})
    await launch(deps, request_id, place)


async def on_cancel(deps: Deps, request_id: str, place: Place) -> None:
    request_id_var.set(request_id)
    req = await deps.store.get_request(request_id)
    if await _refuse_if_unavailable(deps, req, place):
        return
    moved = await deps.store.move(
        request_id, RequestState.CANCELLED, deps.now(), where=[R.user_id == place.user_id]
    )
    if not moved:
        await _refuse_if_unavailable(deps, await deps.store.get_request(request_id), place)
        return
    log.info("request cancelled", extra={"request": request_id, "user": place.user_id})
    await tell(deps.poster, place, cancelled_message(simulated=deps.simulated), replace=True)
