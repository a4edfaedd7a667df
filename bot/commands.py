"""What each command does, wherever it was typed: ``/bms …`` or ``@bms-bot …`` in a thread.

``first_answer`` is what the person sees at once (inside Slack's 3-second ack for a slash
command): the whole answer for help and a bad command, a "working on it" note otherwise.
``Commands.run`` is the slow part, after the ack. Both listeners use these two; nothing else
decides what a command does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.blocks.audit import audit_message, audit_refused_message
from bot.blocks.help import help_message
from bot.blocks.message import Message, notice
from bot.blocks.notices import (
    changing_schedule_message,
    checking_job_message,
    cloud_error_message,
    looking_up_message,
    parse_error_message,
    reading_audit_message,
    reading_schedule_message,
)
from bot.blocks.policy import directory_down_message
from bot.blocks.schedule import schedule_list_message
from bot.blocks.status import status_message
from bot.bms.errors import CloudError
from bot.core.parser import (
    AuditCommand,
    CancelCommand,
    Command,
    HelpCommand,
    ParseError,
    PostponeCommand,
    ScheduleCommand,
    StatusCommand,
    StopCommand,
)
from bot.policy.people import DirectoryUnavailable
from bot.slack.place import Place
from bot.slack.poster import Poster
from bot.stops.ports import StopCloud
from bot.stops.service import StopService
from bot.store.requests import RequestStore


def first_answer(  # noqa: PLR0911 - one answer per kind of command
    command: Command, samples: Sequence[tuple[str, str]] = (), confirm_ttl: float = 600
) -> Message:
    """What to say at once; ``samples`` (name, id) are servers the help offers to try."""
    match command:
        case HelpCommand():
            return help_message(samples, confirm_ttl)
        case ParseError():
            return parse_error_message(command)
        case StatusCommand():
            return checking_job_message(command.job_id)
        case StopCommand():
            return looking_up_message(len(command.server_ids))
        case AuditCommand():
            return reading_audit_message()
        case ScheduleCommand():
            return reading_schedule_message()
        case CancelCommand() | PostponeCommand():
            return changing_schedule_message(command.request_id)


def answered_at_once(command: Command) -> bool:
    """Help and bad commands need nothing more than their first answer."""
    return isinstance(command, HelpCommand | ParseError)


@dataclass(frozen=True)
class Commands:
    stops: StopService
    cloud: StopCloud
    requests: RequestStore
    poster: Poster
    samples: tuple[tuple[str, str], ...] = ()

    def first_answer(self, command: Command) -> Message:
        """``first_answer`` with this bot's sample servers and confirmation window."""
        return first_answer(command, self.samples, self.stops.timing.confirm_ttl)

    async def run(self, command: Command, place: Place) -> None:
        """Carry the command out for the person at ``place`` and answer them there."""
        match command:
            case HelpCommand() | ParseError():
                await self.poster.tell(place, self.first_answer(command))
            case StatusCommand():
                await self.status(command.job_id, place)
            case StopCommand():
                await self.stops.preview(command, place)
            case AuditCommand():
                await self.audit(command.count, place)
            case ScheduleCommand():
                await self.schedule(place)
            case CancelCommand():
                await self.stops.cancel_schedule(command.request_id, place)
            case PostponeCommand():
                await self.postpone(command, place)

    async def schedule(self, place: Place) -> None:
        """This channel's upcoming scheduled stops."""
        rows = await self.stops.store.schedules.upcoming(place.channel_id)
        now = self.stops.now()
        await self.poster.tell(place, schedule_list_message([r.schedule() for r in rows], now))

    async def postpone(self, command: PostponeCommand, place: Place) -> None:
        problem = await self.stops.postpone(command.request_id, place, command.when)
        if problem is not None:
            await self.poster.tell(place, notice(f"Nothing changed: {problem}"))

    async def audit(self, count: int, place: Place) -> None:
        """The newest audit entries, to the policy's audit readers only."""
        try:
            allowed = await self.stops.gate.may_read_audit(place.user_id)
        except DirectoryUnavailable:
            await self.poster.tell(place, directory_down_message())
            return
        if not allowed:
            await self.poster.tell(place, audit_refused_message())
            return
        await self.poster.tell(place, audit_message(await self.stops.store.audit.recent(count)))

    async def status(self, job_id: str, place: Place) -> None:
        """A job's state, server by server, with the bot's names for them when it is ours."""
        try:
            job = await self.cloud.get_job(job_id)
        except CloudError as err:
            await self.poster.tell(place, cloud_error_message(err, f"reading job {job_id}"))
            return
        names = await self.requests.names_for_job(job_id)
        await self.poster.tell(place, status_message(job, names))
