"""People and user groups of the fake workspace: users.info, usergroups.list, usergroups.users.list.

Shapes follow Slack's user and usergroup objects, including the parts a policy check trips on:
a single-channel guest is `is_restricted` AND `is_ultra_restricted` (Slack calls it a kind of
restricted account); a deactivated user still answers users.info with `deleted: true`, but its
object drops `real_name`, `tz*`, `is_admin`/`is_owner` and the guest flags entirely (measured
against real workspaces), so code that reads those keys unguarded fails here as it would there.
A disabled group has `date_delete != 0` and is hidden unless `include_disabled` is sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tests.fakes.slack_errors import SlackError, flag, missing_argument, need_scope

# Who "created" groups the tests arrange; any id works, Slack only reports it.
GROUP_ADMIN = "U0ADMIN"
# Slack's display labels for a few zones: (standard offset, standard label, summer label).
_TZ_LABELS = {
    "UTC": (0, "Coordinated Universal Time", "Coordinated Universal Time"),
    "Europe/London": (0, "Greenwich Mean Time", "British Summer Time"),
    "Europe/Berlin": (3600, "Central European Time", "Central European Summer Time"),
    "Europe/Paris": (3600, "Central European Time", "Central European Summer Time"),
    "America/New_York": (-18000, "Eastern Standard Time", "Eastern Daylight Time"),
    "America/Los_Angeles": (-28800, "Pacific Standard Time", "Pacific Daylight Time"),
    "Asia/Shanghai": (28800, "China Standard Time", "China Standard Time"),
    "Asia/Tokyo": (32400, "Japan Standard Time", "Japan Standard Time"),
}
# users.info keys a deactivated user no longer has (absent, not false).
_ACTIVE_ONLY = frozenset(
    [
        "real_name",
        "color",
        "tz",
        "tz_label",
        "tz_offset",
        "is_admin",
        "is_owner",
        "is_primary_owner",
        "is_restricted",
        "is_ultra_restricted",
        "has_2fa",
    ]
)
# update_user also takes the wire names of the guest flags.
_ALIASES = {"is_restricted": "restricted", "is_ultra_restricted": "ultra_restricted"}

Handler = Callable[[dict[str, Any]], dict[str, Any]]


def zone_label(tz: str, tz_offset: int) -> str:
    """Slack's long label for a zone ("Central European Summer Time"), else a GMT offset."""
    known = _TZ_LABELS.get(tz)
    if known is not None:
        standard, label, summer = known
        return label if tz_offset == standard else summer
    sign, minutes = "+" if tz_offset >= 0 else "-", abs(tz_offset) // 60
    return f"GMT{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class User:
    """One member; `to_wire` renders it as users.info does."""

    id: str
    team_id: str
    name: str
    real_name: str
    display_name: str
    restricted: bool = False  # a guest (multi-channel unless also ultra_restricted)
    ultra_restricted: bool = False  # a single-channel guest
    deleted: bool = False  # deactivated
    is_bot: bool = False
    is_admin: bool = False
    is_owner: bool = False
    tz: str = "UTC"
    tz_offset: int = 0  # seconds east of UTC, now
    tz_label: str | None = None  # None: Slack's label for `tz` and `tz_offset`
    bot_id: str | None = None
    updated: int = 0

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "deleted": self.deleted,
            "color": "9f69e7",
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz_label or zone_label(self.tz, self.tz_offset),
            "tz_offset": self.tz_offset,
            "profile": self._profile(),
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": False,
            # Slack counts a single-channel guest as restricted too.
            "is_restricted": self.restricted or self.ultra_restricted,
            "is_ultra_restricted": self.ultra_restricted,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": self.updated,
            "has_2fa": False,
        }
        if not self.deleted:
            return wire
        return {k: v for k, v in wire.items() if k not in _ACTIVE_ONLY} | {"is_forgotten": False}

    def _profile(self) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "title": "",
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.display_name,
            "display_name_normalized": self.display_name,
            "status_text": "",
            "status_emoji": "",
            "avatar_hash": "g0123456789a",
            "team": self.team_id,
        }
        if self.is_bot:
            profile |= {"bot_id": self.bot_id or f"B{self.id[1:]}", "always_active": False}
        return profile


@dataclass(frozen=True)
class UserGroup:
    """One user group (Slack's "subteam"); `to_wire` renders it as usergroups.list does."""

    id: str
    team_id: str
    handle: str
    name: str
    users: tuple[str, ...]
    date_create: int
    date_update: int
    date_delete: int = 0  # 0 while enabled
    description: str = ""
    channels: tuple[str, ...] = ()

    @property
    def disabled(self) -> bool:
        return self.date_delete != 0

    def to_wire(self, *, include_users: bool, include_count: bool) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "id": self.id,
            "team_id": self.team_id,
            "is_usergroup": True,
            "name": self.name,
            "description": self.description,
            "handle": self.handle,
            "is_external": False,
            "date_create": self.date_create,
            "date_update": self.date_update,
            "date_delete": self.date_delete,
            "auto_type": None,  # "admin"/"owner" only for Slack's own automatic groups
            "created_by": GROUP_ADMIN,
            "updated_by": GROUP_ADMIN,
            "deleted_by": GROUP_ADMIN if self.disabled else None,
            "prefs": {"channels": list(self.channels), "groups": []},
        }
        if include_users:
            wire["users"] = list(self.users)
        if include_count:
            wire["user_count"] = str(len(self.users))  # Slack sends the count as a string
        return wire


class Directory:
    """The workspace's users and groups, and the read methods Slack offers on them."""

    def __init__(self, *, team_id: str, scopes: frozenset[str], epoch: Callable[[], int]) -> None:
        self.team_id, self.scopes = team_id, scopes
        self._epoch = epoch  # wall-clock seconds for the objects' date fields
        self.users: dict[str, User] = {}
        self.groups: dict[str, UserGroup] = {}

    def handlers(self) -> dict[str, Handler]:
        return {
            "users.info": self.users_info,
            "usergroups.list": self.usergroups_list,
            "usergroups.users.list": self.usergroups_users_list,
        }

    # -- arranging -----------------------------------------------------------------------------

    def put_user(self, user: User) -> User:
        self.users[user.id] = user
        return user

    def update_user(self, user_id: str, **fields: Any) -> User:
        """Change `User` fields (wire names `is_restricted`/`is_ultra_restricted` work too)."""
        changes = {_ALIASES.get(k, k): v for k, v in fields.items()}
        user = dataclasses.replace(self.users[user_id], updated=self._epoch(), **changes)
        return self.put_user(user)

    def add_usergroup(
        self,
        group_id: str,
        handle: str,
        users: Iterable[str],
        *,
        name: str | None = None,
        disabled: bool = False,
    ) -> UserGroup:
        """Create or replace a group (a replaced group keeps its creation date)."""
        now = self._epoch()
        old = self.groups.get(group_id)
        group = UserGroup(
            id=group_id,
            team_id=self.team_id,
            handle=handle,
            name=name or handle.replace("-", " ").title(),
            users=tuple(users),
            date_create=old.date_create if old else now,
            date_update=now,
            date_delete=now if disabled else 0,
        )
        self.groups[group_id] = group
        return group

    def set_usergroup_users(self, group_id: str, users: Iterable[str]) -> UserGroup:
        group = dataclasses.replace(
            self.groups[group_id], users=tuple(users), date_update=self._epoch()
        )
        self.groups[group_id] = group
        return group

    # -- Web API -------------------------------------------------------------------------------

    def users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        need_scope(self.scopes, "users:read")
        # `user` is optional in Slack's schema: leaving it out is user_not_found, not a bad call.
        user = self.users.get(str(args.get("user") or ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"ok": True, "user": user.to_wire()}

    def usergroups_list(self, args: dict[str, Any]) -> dict[str, Any]:
        need_scope(self.scopes, "usergroups:read")
        include_disabled = flag(args.get("include_disabled"))
        users, count = flag(args.get("include_users")), flag(args.get("include_count"))
        groups = [
            group.to_wire(include_users=users, include_count=count)
            for group in self.groups.values()
            if include_disabled or not group.disabled
        ]
        return {"ok": True, "usergroups": groups}

    def usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        need_scope(self.scopes, "usergroups:read")
        group_id = args.get("usergroup")
        if not group_id:
            raise missing_argument("usergroup")
        group = self.groups.get(str(group_id))
        if group is None or (group.disabled and not flag(args.get("include_disabled"))):
            raise SlackError("no_such_subteam")
        return {"ok": True, "users": list(group.users)}
