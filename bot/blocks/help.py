"""How to use the bot: usage, examples, and what happens between preview and thread."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.message import Message, build, header, section
from bot.blocks.text import code, duration, escape
from bot.core.parser import EXAMPLE_ID, USAGE

_EXAMPLES = (
    "*Examples*",
    f"• `/bms stop {EXAMPLE_ID}`",
    f"• `/bms stop {EXAMPLE_ID}, 726fb98f-46ca-475e-917e-2563e5a8cd20 reason: disk alarm INC-42`",
    f"• `/bms stop {EXAMPLE_ID} at fri 22:00 reason: maintenance window`",
    f"• `/bms stop {EXAMPLE_ID} in 2h` · `/bms schedule` · `/bms postpone req_… 1h`",
    "• `/bms status 2c9eb2c5544cbf6101544f0602af2b4f`",
)
_STEPS = (
    "*What happens*\n"
    "1. You get a private preview: which servers will stop, which are skipped and why.\n"
    "2. Nothing stops until you click *Stop* (only you can, for {ttl}).\n"
    "3. The bot posts in the channel and reports progress and every server's result in a thread."
)
_DETAILS = (
    "*Good to know*\n"
    "• Ids are server UUIDs; separate them with spaces, commas or new lines. `tag:env=staging` "
    "selects every server with that tag (`tag:env`: any value; several tags: servers with all "
    "of them). Up to 10,000 servers a request.\n"
    "• `reason:` takes the rest of the line (500 characters at most).\n"
    "• Huawei Cloud performs every stop as a forced (HARD) power-off, even with `--soft`.\n"
    "• Slash commands cannot run inside threads: mention the bot there instead, e.g. "
    f"`@bms-bot stop {EXAMPLE_ID}`.\n"
    "• Where the policy wants a second person, your click asks the approvers instead; "
    "`--break-glass reason: …` skips the wait where the policy allows it (they review it after).\n"
    "• `/bms audit [n]` shows the newest audit entries to the policy's audit readers.\n"
    "• `at` takes `22:00`, `tomorrow 07:30`, `fri 22:00`, `2026-12-24 18:00` or ISO 8601, in your "
    "Slack time zone unless you add one (`UTC`, `Europe/Berlin`); `in` takes `90s`, `30m`, `2h`, "
    "`1d`, `1h30m`. A scheduled stop is announced in the channel, with reminders before it."
)


def help_message(samples: Sequence[tuple[str, str]] = (), confirm_ttl: float = 600) -> Message:
    """Usage, examples, and what happens between preview and thread; ``samples`` (name, id) are
    servers to try it on (a stand-in backend's, so a first try needs nothing looked up);
    ``confirm_ttl`` is BMS_CONFIRM_TTL in seconds."""
    blocks = [
        header("Stop Huawei Cloud bare metal servers"),
        section(f"*Usage*\n{code(USAGE, 400)}"),
        section("\n".join(_EXAMPLES)),
        section(_STEPS.format(ttl=duration(confirm_ttl))),
        section(_DETAILS),
    ]
    if samples:
        rows = [f"• {escape(name[:60])} {code(server_id, 64)}" for name, server_id in samples[:5]]
        blocks.append(section("*Servers to try it on*\n" + "\n".join(rows)))
    return build(f"Usage: {escape(USAGE)}", blocks)
