"""Short notices: acknowledgements, button outcomes, and errors said where the person is.

Every notice that can follow a failure says whether anything was stopped, because that is the first
thing an on-call engineer needs to know.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.blocks.message import Message, build, context, fit_lines, notice, section
from bot.blocks.problems import problem_line, problem_lines
from bot.blocks.text import channel_link, code, duration, inline, plural, user_mention
from bot.bms.errors import CloudError
from bot.core.explain import advice_for_cloud_error
from bot.core.parser import ParseError
from bot.core.problems import Problem

_NOTHING_STOPPED = "Nothing was stopped."
_HANDLED = {
    "confirmed": "This stop was already confirmed: follow the thread in the channel.",
    "submitted": "This stop was already confirmed: follow the thread in the channel.",
    "reporting": "This stop was already confirmed: follow the thread in the channel.",
    "finished": "This stop has already finished: see the thread in the channel.",
    "timed_out": "This stop was already confirmed: see the thread in the channel.",
    "cancelled": "This stop was already cancelled. Nothing was stopped.",
    "expired": "This preview has expired. Nothing was stopped: run `/bms stop` again.",
    "previewed": "Another click was being handled at the same moment and did not go through. "
    "Nothing was stopped: click Stop again.",
}


def looking_up_message(count: int) -> Message:
    """The instant acknowledgement while the servers are looked up."""
    return notice(f"Looking up {plural(count, 'server')}…")


def submitted_message(
    request_id: str,
    channel_id: str | None = None,
    *,
    count: int | None = None,
) -> Message:
    """Replaces the preview once the stop is confirmed and handed to Huawei Cloud."""
    where = channel_link(channel_id)
    what = f"Stopping {plural(count, 'server')}" if count is not None else "Submitted"
    text = f"{what}: follow the thread in {where}." if where else f"{what}: follow the thread."
    return notice(text, note=f"Request {code(request_id)}")


def cancelled_message() -> Message:
    return notice(f"Cancelled. {_NOTHING_STOPPED}")


def expired_message(ttl_seconds: float) -> Message:
    """The preview was not confirmed in time (``ttl_seconds``, BMS_CONFIRM_TTL)."""
    text = (
        f"This preview expired after {duration(ttl_seconds)}. {_NOTHING_STOPPED} "
        "Run `/bms stop` again."
    )
    return notice(text)


def not_yours_message(owner_user_id: str) -> Message:
    """Someone other than the requester clicked a button."""
    owner = user_mention(owner_user_id)
    text = f"Only {owner} can confirm or cancel this stop: they asked for it."
    return notice(text)


def already_handled_message(state: str) -> Message:
    """A second click on a request that has moved on (``state`` is its stored state)."""
    text = _HANDLED.get(state.lower(), f"This stop was already handled ({inline(state, 40)}).")
    return notice(text)


def slack_refused_message(error: str) -> Message:
    """The thread root could not be posted for a reason other than membership."""
    text = (
        f"Slack did not take my message in the channel ({inline(error, 80)}), so I did not send "
        f"the stop. {_NOTHING_STOPPED} Click Stop again in a moment."
    )
    return notice(text)


def report_undeliverable_message(request_id: str, error: str, job_ids: Sequence[str]) -> Message:
    """The per-server report could not be posted in the thread: say so privately."""
    jobs = ", ".join(code(j, 64) for j in job_ids[:5]) or "none"
    text = (
        f"I could not post the results of request {code(request_id)} in the thread "
        f"({inline(error, 80)}). Check the servers with `/bms status <job-id>`: jobs {jobs}."
    )
    return notice(text)


def selection_refused_message(problem: Problem) -> Message:
    """What a ``tag:`` selection found was no stop: none, or too many."""
    return notice(problem_line(problem))


def report_file_refused_message(error: str, job_ids: Sequence[str]) -> Message:
    """The file of every server's result could not be shared: the summary above stands."""
    jobs = ", ".join(code(j, 64) for j in job_ids[:5]) or "none"
    text = (
        f"I could not share the file with every server's result ({inline(error, 80)}): the "
        "summary above has what did not stop. Your Slack admins can add the `files:write` "
        f"scope to the app; meanwhile `/bms status <job-id>` lists each server: jobs {jobs}."
    )
    return notice(text)


def not_in_channel_message() -> Message:
    text = (
        "I can't post in this channel: invite @bms-bot (`/invite @bms-bot`) and click Stop again. "
        + _NOTHING_STOPPED
    )
    return notice(text)


def unexpected_error_message(ref: str) -> Message:
    text = (
        f"Something went wrong (reference {code(ref)}). Nothing was stopped unless the thread "
        "says so. Share the reference with your bms-bot admins."
    )
    return notice(text)


def _cloud_detail(err: CloudError) -> str:
    """Huawei's code, message, HTTP status and request id, all escaped."""
    parts = [code(err.code, 40)] if err.code else []
    parts.append(inline(err.message, 500, empty="(no message)"))
    status = f"HTTP {err.http_status}" if err.http_status else "no response"
    request = f" · Huawei request id {code(err.request_id, 80)}" if err.request_id else ""
    return f"{' '.join(parts)} ({status}{request})"


def cloud_error_message(err: CloudError, doing: str, *, stopping: bool = False) -> Message:
    """Huawei Cloud failed while the bot was ``doing`` something (bot-written mrkdwn)."""
    text = f"*Huawei Cloud failed while {inline(doing, 300, empty='working')}.*"
    blocks = [
        section(f"{text}\n{_cloud_detail(err)}"),
        section(f"*What to do:* {advice_for_cloud_error(err, stopping=stopping)}"),
    ]
    fallback = f"Huawei Cloud failed while {inline(doing, 300)}: {inline(err.message, 300)}"
    return build(fallback, blocks)


def uncertain_submit_message(count: int, detail: str | CloudError | None = None) -> Message:
    """A stop call got no clear answer: say plainly that it may or may not have happened."""
    servers = plural(count, "server")
    text = (
        f"*I could not confirm that Huawei Cloud accepted the stop of {servers}.* "
        "The stop may or may not have been accepted; run `/bms stop` again with the same ids: "
        "servers already stopping are skipped."
    )
    note: str | None = None
    if isinstance(detail, CloudError):
        note = _cloud_detail(detail)
    elif detail:
        note = inline(detail, 500)
    return notice(text, note=note)


def parse_error_message(err: ParseError) -> Message:
    """Every problem with the command (tokens escaped as they are worded), then the usage line."""
    lines = problem_lines(err)
    problems = [f"• {line}" for line in lines] or ["• The command could not be read."]
    shown, hidden = fit_lines(problems, budget=6000, max_lines=10)
    blocks = [section("*I couldn't read that command:*"), *shown]
    if hidden:
        blocks.append(context(f"…and {hidden} more problems"))
    blocks.append(context(f"Usage: {code(err.usage, 400)} · `/bms help` for examples"))
    first = lines[0] if lines else "the command could not be read"
    return build(f"I couldn't read that command: {first}", blocks)


def timeout_message(job_ids: Sequence[str], seconds: float) -> Message:
    """The jobs outlived the watch timeout: say so, and how to keep checking."""
    jobs = ", ".join(code(j) for j in job_ids[:5]) or "the jobs"
    more = f" and {len(job_ids) - 5} more" if len(job_ids) > 5 else ""
    example = code(job_ids[0]) if job_ids else code("<job-id>")
    waited = duration(seconds)
    text = (
        f"⏱️ Still running after {waited}: {jobs}{more}. I stopped watching. "
        f"Check with `/bms status` {example} or in the Huawei Cloud console."
    )
    return build(f"Still running after {waited}; I stopped watching.", [section(text)])


def reading_schedule_message() -> Message:
    return notice("Reading the scheduled stops…")


def changing_schedule_message(request_id: str) -> Message:
    return notice(f"Changing the scheduled stop {code(request_id)}…")


def reading_audit_message() -> Message:
    return notice("Reading the audit trail…")


def checking_job_message(job_id: str) -> Message:
    """The instant acknowledgement of ``/bms status`` while the job is read."""
    return notice(f"Checking job {code(job_id)}…")


def database_unavailable_message(*, before_anything_ran: bool) -> Message:
    """The bot's own database failed; ``before_anything_ran`` for a command (nothing could have
    been sent), not for a click (a stop may have gone out before the failure)."""
    stopped = (
        _NOTHING_STOPPED
        if before_anything_ran
        else "Nothing was stopped unless the thread says so."
    )
    text = (
        f"The bot's database is unavailable right now. {stopped} Try again in a few minutes; "
        "if it lasts, tell your bms-bot admins (`GET /readyz` shows it)."
    )
    return notice(text)


def job_lost_message(job_id: str, answers: int) -> Message:
    """Huawei answers "not found" for a job it accepted: the servers will tell instead."""
    text = (
        f'Huawei Cloud no longer knows job {code(job_id)}: it answered "not found" '
        f"{plural(answers, 'time')} in a row. I stopped asking about the job and will report each "
        "server from its own state instead."
    )
    return notice(text)


def reconciled_message(count: int, stopped: int) -> Message:
    """A stop whose answer was lost was accepted after all, as the servers show."""
    text = (
        f"✅ Huawei Cloud did take the stop of {plural(count, 'server')} after all (its answer "
        f"was lost): {stopped:,} stopped. The results below are per server, as usual."
    )
    return notice(text)


def not_accepted_message(count: int, waited_seconds: float, requester: str) -> Message:
    """A stop whose answer was lost was never acted on: say so, and who can send it again."""
    text = (
        f"Huawei Cloud did not take the stop of {plural(count, 'server')}: none of them changed "
        f"in {duration(waited_seconds)}. {_NOTHING_STOPPED} {user_mention(requester)} can submit "
        "it again from the message I sent them."
    )
    return notice(text)


def taken_message(taken: Mapping[str, str], names: Mapping[str, str], *, left: int) -> Message:
    """At confirm, servers another request is already stopping were left out (``left`` others
    go ahead; none: nothing new was sent)."""
    requests = sorted(set(taken.values()))
    by = ", ".join(code(r) for r in requests[:3]) + (" and others" if len(requests) > 3 else "")
    rows = [f"• {inline(names.get(i), 60)} {code(i)}" for i in list(taken)[:10]]
    more = [f"…and {len(taken) - 10:,} more"] if len(taken) > 10 else []
    if left:
        head = (
            f"Left out {plural(len(taken), 'server')} that request {by} is already stopping; "
            f"the other {plural(left, 'server')} are being stopped now."
        )
    else:
        head = (
            f"Nothing new to stop: request {by} is already stopping "
            f"{'this server' if len(taken) == 1 else 'these servers'}. Follow its thread. "
            "Nothing was sent again."
        )
    return notice("\n".join([head, *rows, *more]))


def slack_silent_message() -> Message:
    """Slack did not answer the channel message, and cannot say yet whether it arrived."""
    text = (
        "Slack is not answering, so I cannot tell yet whether my message reached the channel. "
        "Nothing was sent to Huawei Cloud. I'll carry on in a minute or two, in the thread of "
        "that one message; if the confirmation runs out first, nothing is sent and the thread "
        "says so."
    )
    return notice(text)
