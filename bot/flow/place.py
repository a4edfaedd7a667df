"""Where a person talked to the bot, and how to answer them there privately."""

from __future__ import annotations

from dataclasses import dataclass

from bot.blocks.message import Message
from bot.slack.poster import Poster


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
