"""Where a person talked to the bot, and how to answer them there privately."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.blocks.message import Message
from bot.slack.poster import Poster, SlackFailure
from bot.store.rows import RequestRow

log = logging.getLogger(__name__)
RESPONSE_URL_LIFETIME = 29 * 60  # Slack honours a response_url for 30 minutes


@dataclass(frozen=True, slots=True)
class Place:
    """A slash command carries a response URL; a mention gets an ephemeral."""

    team_id: str
    channel_id: str
    user_id: str
    origin: str  # "command" or "mention"
    thread_ts: str | None = None
    response_url: str | None = None


async def tell(poster: Poster, place: Place, message: Message, *, replace: bool = True) -> None:
    """Answer the person privately where they are."""
    if place.response_url:
        await poster.respond(place.response_url, message, replace=replace)
    else:
        await poster.whisper(place.channel_id, place.user_id, message, thread_ts=place.thread_ts)


def requester_of(req: RequestRow, now: float) -> Place:
    """Where to reach the requester with nobody clicking: their command's response URL while it
    lives, else an ephemeral in the request's channel (and thread)."""
    fresh = now - req.created_at < RESPONSE_URL_LIFETIME
    return Place(
        team_id=req.team_id,
        channel_id=req.channel_id,
        user_id=req.user_id,
        origin=req.origin,
        thread_ts=req.thread_ts,
        response_url=req.response_url if fresh else None,
    )


async def tell_quietly(poster: Poster, place: Place, message: Message) -> None:
    """``tell`` for paths that must go on whatever Slack says: a failure is logged."""
    try:
        await tell(poster, place, message, replace=False)
    except SlackFailure as exc:
        log.error("could not tell the person", extra={"user": place.user_id, "error": exc.error})
