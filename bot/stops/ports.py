"""What the life cycle needs from the world outside the database, as small protocols.

``BmsClient`` and ``Watcher`` are the real ones; the unit tests of the life cycle use twins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from bot.bms.models import Job, Server, StopAccepted
from bot.policy.people import GroupIndex, Person

Clock = Callable[[], float]  # epoch seconds; ``time.time`` outside the tests


class StopCloud(Protocol):
    """The BMS calls a stop makes (``bot.bms.client.BmsClient``)."""

    async def find_servers(self, ids: Sequence[str]) -> dict[str, Server]: ...

    async def all_servers(self) -> list[Server]: ...

    async def submit_stop(self, ids: Sequence[str], *, soft: bool = False) -> StopAccepted: ...

    async def get_job(self, job_id: str) -> Job: ...


class Turns(Protocol):
    """Paced turns for stop calls, shared by every replica (``bot.store.pacing.Turns``)."""

    async def take(self, now: float) -> float: ...


class Schedule(Protocol):
    """The clock that wakes the poll of a request, and a scheduled stop at its next moment
    (``bot.watcher.Watcher``). Only a clock: what a wake does is decided from the row."""

    def watch(self, request_id: str, *, first_in: float | None = None) -> None: ...

    def retime(self, request_id: str, every: float) -> None: ...

    def unwatch(self, request_id: str) -> None: ...

    def watching(self) -> list[str]: ...

    def alarm(self, request_id: str, at: float) -> None: ...

    def disarm(self, request_id: str) -> None: ...

    def armed(self) -> list[str]: ...


class People(Protocol):
    """Who somebody is and the user groups (``bot.slack.directory.Directory``)."""

    @property
    def groups(self) -> GroupIndex: ...

    async def person(self, user_id: str) -> Person: ...

    async def recheck(self, refs: Iterable[str]) -> GroupIndex: ...
