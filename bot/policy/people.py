"""People and user groups as the policy sees them: plain data read from Slack by
``bot/slack/directory.py`` (``users.info``, ``usergroups.list``) and judged here without I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.policy.refs import GROUP_HANDLE, is_person


class DirectoryUnavailable(Exception):
    """Slack could not say who somebody is: nobody is let in on a guess."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True, slots=True)
class Person:
    """A Slack user, from ``users.info``."""

    id: str
    name: str = ""  # display name, else real name, else the handle
    guest: bool = False  # is_restricted or is_ultra_restricted
    bot: bool = False
    deactivated: bool = False
    admin: bool = False  # a workspace admin or owner
    tz: str | None = None  # IANA zone name

    @property
    def full_member(self) -> bool:
        return not (self.guest or self.bot or self.deactivated)


@dataclass(frozen=True, slots=True)
class GroupIndex:
    """The workspace's user groups: handle → id and id → members. ``loaded`` is False until the
    first successful read, so an unreadable directory is told apart from "not a member"."""

    by_handle: Mapping[str, str] = field(default_factory=dict)
    members: Mapping[str, frozenset[str]] = field(default_factory=dict)
    loaded: bool = False

    def group_id(self, ref: str) -> str | None:
        """``S…`` as given, ``@handle`` through the index; None for an unknown handle."""
        if GROUP_HANDLE.fullmatch(ref):
            return self.by_handle.get(ref[1:])
        return ref

    def has(self, ref: str, user_id: str) -> bool:
        """Whether ``ref`` (a user id or a group) takes in ``user_id``."""
        if is_person(ref):
            return ref == user_id
        group = self.group_id(ref)
        return group is not None and user_id in self.members.get(group, frozenset())

    def any_has(self, refs: tuple[str, ...], user_id: str) -> bool:
        return any(self.has(r, user_id) for r in refs)

    def unknown(self, refs: set[str]) -> list[str]:
        """The groups in ``refs`` that this index does not know (typos, deleted groups)."""
        return sorted(r for r in refs if not is_person(r) and self.group_id(r) not in self.members)
