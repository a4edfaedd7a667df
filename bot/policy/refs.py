"""The shapes of the ids a policy names: people, user groups, channels, globs and tags."""

from __future__ import annotations

import re

from bot.core.tags import is_tag, tag_matches

__all__ = ["tag_matches"]  # the policy's callers ask here; the rule lives in bot.core.tags
USER_ID = re.compile(r"[UW][A-Z0-9]{2,}", re.ASCII)
GROUP_ID = re.compile(r"S[A-Z0-9]{2,}", re.ASCII)
# Slack handles: lower-case letters, digits, dots, dashes and underscores.
GROUP_HANDLE = re.compile(r"@[a-z0-9][a-z0-9._-]{0,79}", re.ASCII)
CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}", re.ASCII)
SERVER_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I | re.A)
ANYWHERE = "*"


def is_person(ref: str) -> bool:
    return USER_ID.fullmatch(ref) is not None


def is_group(ref: str) -> bool:
    return GROUP_ID.fullmatch(ref) is not None or GROUP_HANDLE.fullmatch(ref) is not None


def check_member_ref(ref: str) -> str:
    """A requester, approver or reader: ``U…``/``W…``, ``S…`` or ``@handle``."""
    if is_person(ref) or is_group(ref):
        return ref
    raise ValueError(f"{ref!r} is neither a user id (U… or W…) nor a user group (@handle or S…)")


def check_server_id(ref: str) -> str:
    """A server id, lower-cased as the API and the parser give them (so capitals still match)."""
    if SERVER_ID.fullmatch(ref):
        return ref.lower()
    raise ValueError(
        f"{ref!r} is not a server id (a UUID like 616fb98f-46ca-475e-917e-2563e5a8cd19)"
    )


def check_channel_ref(ref: str) -> str:
    if ref == ANYWHERE or CHANNEL_ID.fullmatch(ref):
        return ref
    hint = " (use the channel's id, not its name)" if ref.startswith("#") else ""
    raise ValueError(f'{ref!r} is not a channel id (C…, G… or D…) or "*"{hint}')


def check_glob(glob: str) -> str:
    """Shell-style globs on server names: ``*``, ``?`` and closed ``[…]`` sets."""
    if not glob.strip():
        raise ValueError("an empty name pattern matches nothing")
    depth = 0
    for ch in glob:
        if ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
    if depth:
        raise ValueError(f"{glob!r} has a '[' that is never closed")
    return glob


def check_tag(tag: str) -> str:
    """``key=value`` matches that exact tag; ``key`` matches the key with any value."""
    if not is_tag(tag):
        raise ValueError(f"{tag!r} is not a tag; write key=value or key")
    return tag
