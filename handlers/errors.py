"""The one error handler: expected failures become a clear message where the person is; anything
else becomes "something went wrong, reference <id>" with the traceback logged under that id."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.blocks.message import Message
from bot.blocks.notices import (
    cloud_error_message,
    database_unavailable_message,
    unexpected_error_message,
)
from bot.bms.errors import CloudError
from bot.deps import Deps
from bot.slack.place import place_of
from bot.slack.poster import SlackFailure
from bot.store.database import DatabaseUnavailable

log = logging.getLogger(__name__)


def message_for(error: BaseException, body: dict[str, Any]) -> Message:
    if isinstance(error, CloudError):
        log.warning("cloud error reached the error handler", extra={"error": str(error)})
        return cloud_error_message(error, "talking to Huawei Cloud")
    if isinstance(error, DatabaseUnavailable):  # the store logged the outage once already
        return database_unavailable_message(before_anything_ran="command" in body)
    ref = secrets.token_hex(4)
    log.error("unexpected error", exc_info=error, extra={"ref": ref})
    return unexpected_error_message(ref)


async def handle_error(error: Exception, body: dict[str, Any], deps: Deps | None) -> None:
    """Bolt passes ``deps=None`` for a failure before our middleware ran: then only log it."""
    message = message_for(error, body)
    place = place_of(body, "error")
    if place is None or deps is None:
        return
    try:
        await deps.poster.tell(place, message, replace=False)
    except SlackFailure as exc:
        log.error("could not deliver the error message", extra={"error": exc.error})


@asynccontextmanager
async def reported(body: dict[str, Any], deps: Deps) -> AsyncIterator[None]:
    """Route a failure in the work after ``ack()`` to ``handle_error`` ourselves.

    Bolt's runner has a race: if a listener raises within ~10 ms of its ack, Bolt discards the
    ack and answers Slack 404, so the person sees "dispatch_failed". Catching here keeps the ack
    and still gives one error path (this is not log-and-swallow: the person is told). The work
    is remembered while it runs, so that shutdown lets it finish (``Deps.settle``).
    """
    task = asyncio.current_task()
    if task is not None:
        deps.listening.add(task)  # shutdown lets it finish before the store closes
    try:
        yield
    except Exception as error:
        await handle_error(error, body, deps)
    finally:
        if task is not None:
            deps.listening.discard(task)


def register(app: AsyncApp) -> None:
    app.error(handle_error)
