"""The policy file as typed, frozen models: unknown keys, bad ids and impossible rules are errors.

The key names are the contract documented in the README (Policy reference).
``Policy.model_validate`` takes the document ``tomllib`` parsed; ``bot/policy/load.py`` words
its errors.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from bot.core.durations import DurationError, parse_duration
from bot.core.parser import MAX_IDS
from bot.policy.refs import (
    check_channel_ref,
    check_glob,
    check_member_ref,
    check_server_id,
    check_tag,
)

DEFAULT_MAX_SERVERS = 1000
DEFAULT_APPROVAL_TTL = 1800.0
_ABOVE = re.compile(r"above\s+(\d{1,5})", re.ASCII)

MemberRef = Annotated[StrictStr, AfterValidator(check_member_ref)]
ChannelRef = Annotated[StrictStr, AfterValidator(check_channel_ref)]
Glob = Annotated[StrictStr, AfterValidator(check_glob)]
Tag = Annotated[StrictStr, AfterValidator(check_tag)]
ServerId = Annotated[StrictStr, AfterValidator(check_server_id)]
Name = Annotated[
    StrictStr, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class Approval:
    """When the deciding grant asks for a second person: never, always, or above ``above``."""

    mode: Literal["never", "always", "above"]
    above: int = 0

    def __str__(self) -> str:
        return f"above {self.above}" if self.mode == "above" else self.mode

    @staticmethod
    def parse(text: str) -> Approval:
        plain = " ".join(text.lower().split())
        if plain in ("never", "always"):
            return Approval(plain)  # type: ignore[arg-type]  # one of the two literals
        match = _ABOVE.fullmatch(plain)
        if match:
            return Approval("above", int(match.group(1)))
        raise ValueError(f'{text!r} is not "never", "always" or "above N" (like "above 20")')


class Selector(_Strict):
    """Servers by id, by shell-style glob on the name, or by tag (``key=value`` or ``key``)."""

    ids: tuple[ServerId, ...] = ()
    names: tuple[Glob, ...] = ()
    tags: tuple[Tag, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.ids or self.names or self.tags)


class Defaults(_Strict):
    max_servers: StrictInt = Field(DEFAULT_MAX_SERVERS, ge=1, le=MAX_IDS)
    approval_ttl: float = DEFAULT_APPROVAL_TTL

    @field_validator("approval_ttl", mode="before")
    @classmethod
    def _ttl(cls, value: object) -> float:
        return _duration(value)


class Grant(_Strict):
    name: Name
    requesters: tuple[MemberRef, ...] = Field(min_length=1)
    channels: tuple[ChannelRef, ...] = Field(min_length=1)
    max_servers: StrictInt | None = Field(None, ge=1, le=MAX_IDS)
    approval: Approval = Approval("never")
    approval_for: Selector | None = None
    approvers: tuple[MemberRef, ...] = ()
    break_glass: StrictBool = False

    @field_validator("approval", mode="before")
    @classmethod
    def _approval(cls, value: object) -> Approval:
        if isinstance(value, Approval):
            return value
        if not isinstance(value, str):
            raise ValueError('write "never", "always" or "above N"')
        return Approval.parse(value)

    @property
    def asks_approval(self) -> bool:
        """Some request may need an approval under this grant."""
        return self.approval.mode != "never" or (
            self.approval_for is not None and not self.approval_for.empty
        )

    @model_validator(mode="after")
    def _approvers_can_approve(self) -> Grant:
        problems = []
        if self.asks_approval and not self.approvers:
            problems.append("asks for approval but names no approvers")
        if self.approvers and set(self.approvers) == set(self.requesters):
            problems.append(
                "approvers are exactly the requesters: nobody but the requester could approve "
                "a request, so name someone else (e.g. a leads group)"
            )
        if self.break_glass and not self.asks_approval:
            problems.append("break_glass = true means nothing without an approval to skip")
        _raise_all(problems)
        return self


class Protect(_Strict):
    name: Name
    ids: tuple[ServerId, ...] = ()
    names: tuple[Glob, ...] = ()
    tags: tuple[Tag, ...] = ()

    @model_validator(mode="after")
    def _selects_something(self) -> Protect:
        if not (self.ids or self.names or self.tags):
            raise ValueError("protects nothing: give ids, names or tags")
        return self

    @property
    def selector(self) -> Selector:
        return Selector(ids=self.ids, names=self.names, tags=self.tags)


class AuditSection(_Strict):
    readers: tuple[MemberRef, ...] = ()
    channel: ChannelRef | None = None

    @field_validator("channel")
    @classmethod
    def _one_channel(cls, value: str | None) -> str | None:
        if value == "*":
            raise ValueError('name one channel id for the audit, not "*"')
        return value


class Policy(_Strict):
    defaults: Defaults = Field(default_factory=lambda: Defaults.model_validate({}))
    grant: tuple[Grant, ...] = ()
    protect: tuple[Protect, ...] = ()
    audit: AuditSection = Field(default_factory=AuditSection)

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        _raise_all(across_entries(self.model_dump()))
        return self

    def limit_of(self, grant: Grant) -> int:
        return min(grant.max_servers or self.defaults.max_servers, self.defaults.max_servers)

    def group_refs(self) -> set[str]:
        """Every user group the policy names (to resolve, and to warn about unknown ones)."""
        refs = [r for g in self.grant for r in (*g.requesters, *g.approvers)]
        refs += self.audit.readers
        return {r for r in refs if r.startswith(("@", "S"))}


def _duration(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError('write a duration like "30m"')
    if not isinstance(value, str):
        # As parse_duration refuses "0s": some time, and a finite one (TOML has nan and inf).
        if not 0 < value < math.inf:
            raise ValueError(f"{value} seconds is not a time to wait; write it like 30m")
        return float(value)
    try:
        return parse_duration(value)
    except DurationError as exc:
        raise ValueError(str(exc)) from None


def across_entries(document: Mapping[str, Any]) -> list[str]:
    """What is wrong between entries (duplicate names, a grant above the defaults), read from
    the document as parsed, so that it can be said even when single fields are wrong too."""
    grants = _entries(document, "grant")
    problems = _duplicates("grant", [g.get("name") for g in grants])
    problems += _duplicates("protect", [p.get("name") for p in _entries(document, "protect")])
    defaults = document.get("defaults")
    most = defaults.get("max_servers") if isinstance(defaults, dict) else None
    most = most if isinstance(most, int) else DEFAULT_MAX_SERVERS
    problems += [
        f"grant {g.get('name')!r} allows {g['max_servers']} servers, more than "
        f"[defaults] max_servers = {most}"
        for g in grants
        if isinstance(g.get("max_servers"), int) and g["max_servers"] > most
    ]
    return problems


def _entries(document: Mapping[str, Any], table: str) -> list[dict[str, Any]]:
    found = document.get(table)
    return [e for e in found if isinstance(e, dict)] if isinstance(found, list | tuple) else []


def _duplicates(table: str, names: list[Any]) -> list[str]:
    seen: set[Any] = set()
    problems = []
    for name in names:
        if isinstance(name, str) and name in seen:
            problems.append(f"two [[{table}]] entries are named {name!r}; names must be unique")
        seen.add(name)
    return problems


def _raise_all(problems: list[str]) -> None:
    """Every problem of one entry at once, one per line (``load.py`` shows each on its own)."""
    if problems:
        raise ValueError("\n".join(problems))
