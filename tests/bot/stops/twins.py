"""In-memory twins of what the stop service talks to, for its fast unit tests.

The cloud twin answers like the BMS client (servers, job ids, jobs built with the client's own
models); the voice twin is the real ``Poster`` with its four Slack calls recorded instead of
sent, so the banner, ``tell`` and the edit gate all run for real. The store is real (SQLite).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.message import Message
from bot.bms.errors import CloudError
from bot.bms.models import Job, Server, StopAccepted, SubJob
from bot.policy.people import GroupIndex, Person
from bot.slack.edit_gate import ProgressGate
from bot.slack.poster import Poster, SlackFailure


@dataclass
class TwinPeople:
    """Who people are, as ``users.info`` would say; everyone a full member unless set."""

    people: dict[str, Person] = field(default_factory=dict)
    groups: GroupIndex = field(default_factory=lambda: GroupIndex(loaded=True))

    async def person(self, user_id: str) -> Person:
        return self.people.get(user_id) or Person(user_id, name=user_id.lower())

    async def recheck(self, refs: Iterable[str]) -> GroupIndex:
        return self.groups


@dataclass
class TwinCloud:
    """Servers by id; each stop becomes a job that ends when ``finish`` says so."""

    servers: dict[str, Server] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    stop_calls: list[list[str]] = field(default_factory=list)
    stop_error: CloudError | None = None
    lose_answer: bool = False  # the stop takes effect, then its answer is lost (stop_error)
    job_errors: list[CloudError] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def add(self, count: int, status: str = "ACTIVE") -> list[Server]:
        made = [
            Server(f"00000000-0000-4000-8000-{len(self.servers) + n:012d}", f"web-{n}", status)
            for n in range(count)
        ]
        self.servers |= {s.id: s for s in made}
        return made

    async def find_servers(self, ids: Sequence[str]) -> dict[str, Server]:
        return {i: self.servers[i] for i in ids if i in self.servers}

    async def all_servers(self) -> list[Server]:
        return list(self.servers.values())

    async def submit_stop(self, ids: Sequence[str], *, soft: bool = False) -> StopAccepted:
        return StopAccepted(await self.stop_servers(ids, soft=soft), f"req-{len(self.stop_calls)}")

    async def stop_servers(self, ids: Sequence[str], *, soft: bool = False) -> str:
        self.stop_calls.append(list(ids))
        if self.lose_answer:
            self.power_off(ids)
        if self.stop_error is not None:
            raise self.stop_error
        job_id = f"job-{next(self._ids)}"
        subs = tuple(SubJob(f"{job_id}-{i}", i, "RUNNING") for i in ids)
        self.jobs[job_id] = Job(job_id, "RUNNING", sub_jobs=subs)
        return job_id

    def power_off(self, ids: Sequence[str]) -> None:
        """The servers are SHUTOFF now, whoever did it."""
        for server_id in ids:
            server = self.servers[server_id]
            self.servers[server_id] = Server(server.id, server.name, "SHUTOFF")

    def finish(self, job_id: str, failed: Sequence[str] = ()) -> None:
        """End the job: every server stopped, but ``failed`` (BMS.0037, rebooting)."""
        subs = tuple(
            SubJob(s.job_id, s.server_id, "FAIL", "BMS.0037", "rebooting")
            if s.server_id in failed
            else SubJob(s.job_id, s.server_id, "SUCCESS")
            for s in self.jobs[job_id].sub_jobs
        )
        self.jobs[job_id] = Job(job_id, "FAIL" if failed else "SUCCESS", sub_jobs=subs)

    async def get_job(self, job_id: str) -> Job:
        if self.job_errors:
            raise self.job_errors.pop(0)
        return self.jobs[job_id]


@dataclass
class Said:
    """One thing the bot sent: which call, where, and the message."""

    call: str
    channel: str | None
    message: Message
    thread_ts: str | None = None
    replace: bool | None = None

    @property
    def text(self) -> str:
        return self.message.text + "\n" + str(self.message.blocks)


class TwinPoster(Poster):
    """The real poster, with Slack's four calls recorded; ``fail_posts`` refuses the next posts."""

    def __init__(self, *, simulated: bool = False) -> None:
        super().__init__(
            AsyncWebClient(token="xoxb-twin"), edits=ProgressGate(0), simulated=simulated
        )
        self.said: list[Said] = []
        self.fail_posts: list[SlackFailure] = []
        self._ts = itertools.count(1)

    async def post(self, channel: str, message: Message, thread_ts: str | None = None) -> str:
        if self.fail_posts:
            raise self.fail_posts.pop(0)
        self.said.append(Said("post", channel, self._out(message), thread_ts))
        return f"1700000000.{next(self._ts):06d}"

    async def update(
        self, channel: str, ts: str, message: Message, *, best_effort: bool = False
    ) -> None:
        self.said.append(Said("update", channel, self._out(message), ts))

    async def whisper(
        self, channel: str, user: str, message: Message, thread_ts: str | None = None
    ) -> None:
        self.said.append(Said("whisper", channel, self._out(message), thread_ts))

    async def respond(self, response_url: str, message: Message, *, replace: bool) -> None:
        self.said.append(Said("respond", None, self._out(message), replace=replace))

    async def find_own(
        self,
        channel: str,
        event: str,
        payload: Mapping[str, object],
        *,
        thread_ts: str | None,
        since: float,
    ) -> str | None:
        """A post of this twin with that metadata, in that thread (as Slack's history would)."""
        for n, said in enumerate(self.said):
            metadata = said.message.metadata or {}
            fields = metadata.get("event_payload") or {}
            if (
                said.call == "post"
                and said.channel == channel
                and said.thread_ts == thread_ts
                and metadata.get("event_type") == event
                and all(fields.get(k) == v for k, v in payload.items())
            ):
                return f"1700000000.{n:06d}"
        return None

    def calls(self, call: str) -> list[Said]:
        return [s for s in self.said if s.call == call]

    def texts(self, call: str | None = None) -> str:
        return "\n".join(s.text for s in self.said if call is None or s.call == call)


@dataclass
class TwinSchedule:
    """Which requests are being polled (the real one is APScheduler, ``bot.watcher``)."""

    watched: dict[str, float | None] = field(default_factory=dict)
    alarms: dict[str, float] = field(default_factory=dict)  # request id → when it wakes
    every: dict[str, float] = field(default_factory=dict)  # request id → its poll interval

    def watch(self, request_id: str, *, first_in: float | None = None) -> None:
        self.watched[request_id] = first_in

    def retime(self, request_id: str, every: float) -> None:
        if request_id in self.watched:
            self.every[request_id] = every

    def unwatch(self, request_id: str) -> None:
        self.watched.pop(request_id, None)

    def watching(self) -> list[str]:
        return list(self.watched)

    def alarm(self, request_id: str, at: float) -> None:
        self.alarms[request_id] = at

    def disarm(self, request_id: str) -> None:
        self.alarms.pop(request_id, None)

    def armed(self) -> list[str]:
        return list(self.alarms)


def blocks_text(blocks: list[dict[str, Any]] | None) -> str:
    return str(blocks or [])
