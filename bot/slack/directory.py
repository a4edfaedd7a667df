"""Who people are and which user groups they are in, read from Slack and cached.

``users.info`` (Tier 4) is cached for ``PERSON_TTL`` seconds. User groups come from
``usergroups.list`` with their members (Tier 2: about 20 calls a minute), refreshed in the
background, never on the way to an ack. ``recheck`` re-reads just the groups a decision rests on
(``usergroups.users.list``) at the steps that matter (a confirmation, an approval), so somebody
removed from a group a minute ago is not let in on an old answer; if Slack cannot say, the
cached answer stands and the log says so.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.policy.people import DirectoryUnavailable, GroupIndex, Person
from bot.policy.refs import is_group
from bot.slack.poster import SlackFailure, slack_call

log = logging.getLogger(__name__)
PERSON_TTL = 120.0
GROUPS_REFRESH_SECONDS = 300.0


def person_of(user: Mapping[str, Any]) -> Person:
    """A ``users.info`` user object as the policy sees it."""
    profile = user.get("profile") or {}
    name = profile.get("display_name") or user.get("real_name") or user.get("name") or ""
    return Person(
        id=str(user.get("id") or ""),
        name=str(name),
        guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
        bot=bool(user.get("is_bot") or user.get("is_app_user")),
        deactivated=bool(user.get("deleted")),
        admin=bool(user.get("is_admin") or user.get("is_owner")),
        tz=user.get("tz"),
    )


class Directory:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        wanted: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``wanted``: the policy names user groups (else they are never read)."""
        self.client = client
        self.wanted = wanted
        self.groups = GroupIndex(loaded=not wanted)
        self._clock = clock
        self._people: dict[str, tuple[float, Person]] = {}

    async def person(self, user_id: str) -> Person:
        """``users.info``, cached briefly; ``DirectoryUnavailable`` if Slack cannot say."""
        now = self._clock()
        cached = self._people.get(user_id)
        if cached is not None and now - cached[0] < PERSON_TTL:
            return cached[1]
        try:
            answer = await slack_call(self.client.users_info(user=user_id))
        except SlackFailure as exc:
            log.warning("users.info failed", extra={"user": user_id, "error": exc.error})
            raise DirectoryUnavailable(exc.error) from exc
        person = person_of(answer.get("user") or {})
        self._people[user_id] = (now, person)
        return person

    async def refresh(self) -> bool:
        """Re-read every user group with its members (one Tier 2 call); True if it worked."""
        if not self.wanted:
            return True
        try:
            answer = await slack_call(self.client.usergroups_list(include_users=True))
        except SlackFailure as exc:
            log.warning("could not read the user groups", extra={"error": exc.error})
            return False
        groups = [g for g in answer.get("usergroups") or [] if isinstance(g, dict)]
        members = {str(g["id"]): frozenset(g.get("users") or ()) for g in groups if g.get("id")}
        handles = {str(g["handle"]): str(g["id"]) for g in groups if g.get("handle")}
        self.groups = GroupIndex(handles, members, loaded=True)
        log.debug("user groups read", extra={"groups": len(members)})
        return True

    async def recheck(self, refs: Iterable[str]) -> GroupIndex:
        """The index with the members of ``refs``' groups read again, one call each, for a
        decision that must not rest on an old answer: if a group cannot be read now, the index
        handed back says it is not loaded, so the decision refuses ("nothing let in on a
        guess") instead of trusting the cache."""
        index = self.groups
        if not index.loaded:
            await self.refresh()
            return self.groups
        fresh, unreadable = dict(index.members), False
        for ref in {r for r in refs if is_group(r)}:
            group = index.group_id(ref)
            if group is None:
                continue
            try:
                answer = await slack_call(self.client.usergroups_users_list(usergroup=group))
            except SlackFailure as exc:
                if exc.error == "no_such_subteam":  # deleted or disabled: nobody is in it now
                    fresh[group] = frozenset()
                    continue
                log.warning("could not re-read a group", extra={"group": group, "error": exc.error})
                unreadable = True
                continue
            fresh[group] = frozenset(answer.get("users") or ())
        self.groups = dataclasses.replace(index, members=fresh)
        return dataclasses.replace(self.groups, loaded=False) if unreadable else self.groups
