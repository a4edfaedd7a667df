"""What the policy's answers look like: each refusal names the rule that decided, and says what
the person can do instead."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.blocks.message import Message, build, context, notice, section
from bot.blocks.notices import cloud_error_message
from bot.blocks.text import channel_link, code, inline, plural, user_mention
from bot.bms.errors import CloudError
from bot.policy.decide import ApproverDenial, Denial, Verdict
from bot.policy.people import GroupIndex
from bot.policy.refs import ANYWHERE, is_person

_NOTHING = "Nothing was stopped."


def mention_of(ref: str, groups: GroupIndex) -> str:
    """``<@U…>`` for a person, ``<!subteam^S…>`` for a group the bot knows, else ``@handle``."""
    if is_person(ref):
        return user_mention(ref)
    group = groups.group_id(ref)
    if group is not None and (group in groups.members or not ref.startswith("@")):
        return f"<!subteam^{group}>"
    return code(ref)


def mentions(refs: Iterable[str], groups: GroupIndex) -> str:
    return ", ".join(mention_of(r, groups) for r in refs) or "nobody"


def _where(channels: Iterable[str]) -> str:
    links = ["any channel the bot is in" if c == ANYWHERE else channel_link(c) for c in channels]
    return ", ".join(link for link in links if link)


def refusal_text(  # noqa: PLR0911 - one answer per denial
    verdict: Verdict, channel_id: str, groups: GroupIndex
) -> str:
    """The words of a refused request: which rule said no, and what to do."""
    here = channel_link(channel_id) or "this channel"
    match verdict.denial:
        case Denial.GUEST:
            return "Guest accounts cannot stop servers. Ask a full member of the workspace."
        case Denial.BOT:
            return "Bots and apps cannot stop servers through bms-bot."
        case Denial.DEACTIVATED:
            return "This account is deactivated, so it cannot stop servers."
        case Denial.CHANNEL if verdict.channels:
            return (
                f"{here} is not a channel where stops are allowed for you. "
                f"You may ask in {_where(verdict.channels)}."
            )
        case Denial.CHANNEL:
            return (
                f"This channel is not one where stops are allowed: no grant in the policy "
                f"covers {here}."
            )
        case Denial.NOT_GRANTED:
            return (
                f"You are not in a group allowed to stop servers in {here}. "
                f"Here, stops may be asked for by {mentions(verdict.allowed_here, groups)}."
            )
        case Denial.TOO_MANY:
            return (
                f"This request names {verdict.named:,} servers; {code(verdict.rule)} allows "
                f"{verdict.limit:,}. Split it into smaller requests."
            )
        case Denial.DIRECTORY:
            return (
                "Slack could not say which user groups you are in, so nothing was let in on a "
                "guess. Try again in a minute."
            )
        case Denial.BREAK_GLASS if verdict.rule and verdict.grant is not None:
            return (
                f"`--break-glass` is not allowed here: {code(verdict.rule)} does not set "
                "`break_glass = true`. Ask without it, and an approver will decide."
            )
        case Denial.BREAK_GLASS:
            return (
                "`--break-glass` skips an approval, and no policy asks for one here: run the "
                "same command without it."
            )
    return "The policy does not allow this request."


def no_longer_allowed_text(
    verdict: Verdict, requester: str, channel_id: str, groups: GroupIndex
) -> str:
    """Why the policy refuses a request it let in before, told to everyone in its thread."""
    who = user_mention(requester)
    here = channel_link(channel_id) or "this channel"
    match verdict.denial:
        case Denial.GUEST | Denial.BOT | Denial.DEACTIVATED:
            return f"{who}'s account may no longer stop servers ({verdict.denial.value})"
        case Denial.DIRECTORY:
            return f"Slack could not say which user groups {who} is in, so nothing was let in"
        case Denial.TOO_MANY:
            return f"{code(verdict.rule)} now allows {verdict.limit:,} servers a request"
        case _:
            who_may = mentions(verdict.allowed_here, groups) if verdict.allowed_here else ""
            instead = f" (stops here may be asked for by {who_may})" if who_may else ""
            return f"{who} is no longer in a group allowed to stop servers in {here}{instead}"


def refused_message(verdict: Verdict, channel_id: str, groups: GroupIndex) -> Message:
    text = f"{refusal_text(verdict, channel_id, groups)} {_NOTHING}"
    rule = f"Decided by {code(verdict.rule)}" if verdict.rule else "No grant matched"
    return build(text, [section(text), context(rule)])


def recheck_failed_message(error: Exception) -> Message:
    """The policy could not be asked again (Slack or Huawei Cloud did not answer)."""
    if isinstance(error, CloudError):
        return cloud_error_message(error, "checking the servers again")
    return directory_down_message()


def directory_down_message() -> Message:
    text = (
        "Slack could not say who you are (users.info failed), so nothing was let in on a guess. "
        f"{_NOTHING} Try again in a minute."
    )
    return notice(text)


def approver_refusal_message(why: ApproverDenial, approvers: str, requester: str) -> Message:
    """An ephemeral answer to someone whose Approve or Reject click does not count."""
    match why:
        case ApproverDenial.SELF:
            text = (
                "You asked for this stop, so you cannot approve or reject it yourself: "
                f"one of {approvers} must."
            )
        case ApproverDenial.NOT_A_MEMBER:
            text = "Guests, bots and deactivated accounts cannot approve stops."
        case ApproverDenial.DIRECTORY:
            text = "Slack could not say which groups you are in; try again in a minute."
        case _:
            text = (
                f"Only {approvers} may approve or reject this stop asked for by "
                f"{user_mention(requester)}."
            )
    return notice(text)


def protected_title(rule: str, count: int) -> str:
    verb = "is" if count == 1 else "are"
    return f"*{plural(count, 'server')} {verb} protected by {code(rule)} and will not be stopped*"


def newly_protected_text(protected: Mapping[str, str], names: Mapping[str, str]) -> str:
    """Servers the policy protects now although it did not at the preview."""
    rules: dict[str, list[str]] = {}
    for server_id, rule in protected.items():
        rules.setdefault(rule, []).append(inline(names.get(server_id) or server_id, 60))
    parts = [
        f"{plural(len(shown), 'server')} protected by {code(rule)} ({', '.join(shown[:5])}"
        f"{'…' if len(shown) > 5 else ''})"
        for rule, shown in rules.items()
    ]
    return "Left out, protected since the preview: " + "; ".join(parts) + "."


def protected_since_message(
    protected: Mapping[str, str], names: Mapping[str, str], *, left: int
) -> Message:
    then = (
        f"The other {plural(left, 'server')} are being stopped now."
        if left
        else "Nothing is left to stop, so nothing was sent."
    )
    text = f"{newly_protected_text(protected, names)} {then}"
    return notice(text)
