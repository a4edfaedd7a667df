"""Where a person talked to the bot, read from any body Bolt hands a listener (command, click or
event), so every answer reaches them in the same place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Place:
    """A slash command carries a response URL; a mention gets an ephemeral."""

    team_id: str
    channel_id: str
    user_id: str
    origin: str  # "command" or "mention"
    thread_ts: str | None = None
    response_url: str | None = None
    clicked_ts: str | None = None  # a click on a public message: that message's ts


def place_of(body: dict[str, Any], origin: str) -> Place | None:
    """The person and channel behind ``body``; None if it names neither (nothing to answer)."""
    event, container = _object(body.get("event")), _object(body.get("container"))
    user = body.get("user_id") or _object(body.get("user")).get("id") or event.get("user")
    channel = (
        body.get("channel_id")
        or _object(body.get("channel")).get("id")
        or event.get("channel")
        or container.get("channel_id")
    )
    if not (channel and user):
        return None
    team = body.get("team_id") or _object(body.get("team")).get("id") or ""
    return Place(
        team_id=str(team),
        channel_id=str(channel),
        user_id=str(user),
        origin=origin,
        thread_ts=event.get("thread_ts") or event.get("ts") or container.get("thread_ts"),
        response_url=body.get("response_url"),
        clicked_ts=_public_message_ts(container),
    )


def _public_message_ts(container: dict[str, Any]) -> str | None:
    """The ts of the public (not ephemeral) message a click came from, if it says."""
    ts = container.get("message_ts")
    if container.get("type") != "message" or container.get("is_ephemeral") or not ts:
        return None
    return str(ts)


def _object(value: object) -> dict[str, Any]:
    """A part of a payload that should be an object, or an empty one if it is anything else."""
    return value if isinstance(value, dict) else {}


def place_required(body: dict[str, Any], origin: str) -> Place:
    """``place_of`` for bodies Slack always fills in (a command, a click, a mention)."""
    place = place_of(body, origin)
    if place is None:
        raise ValueError(f"{origin} payload without a user or a channel")
    return place
