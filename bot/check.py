"""``bms-bot check``: can this configuration reach Slack and Huawei Cloud, and does its policy file
load? Says so plainly, and who may do what."""

from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime

from bot.backends import HuaweiCloud
from bot.bms.client import BmsClient
from bot.bms.errors import CloudError
from bot.core.explain import advice_for_cloud_error
from bot.policy.load import PolicyError, load_policy
from bot.policy.model import Policy
from bot.policy.summary import summarize
from bot.retry import RetryPolicy
from bot.settings import Settings
from bot.slack.clients import create_slack_client
from bot.slack.poster import SlackFailure, SlackUnreachable, slack_call

OK, FAIL = "ok  ", "FAIL"
SLACK_CLOCK_LIMIT = 300  # Slack refuses requests signed more than 5 minutes off
HUAWEI_CLOCK_LIMIT = 900  # Huawei Cloud refuses signatures more than 15 minutes off
CLOCK_WARN = 30  # worth fixing long before it breaks anything


def clock_line(who: str, date: str | None, now: float, limit: float) -> str | None:
    """How this machine's clock compares with the ``Date`` an answer carried; None without one."""
    try:
        theirs = parsedate_to_datetime(date).timestamp() if date else None
    except (TypeError, ValueError):
        theirs = None
    if theirs is None:
        return None
    skew = now - theirs
    way = "ahead of" if skew > 0 else "behind"
    if abs(skew) > limit:
        return (
            f"{FAIL} Clock: this machine is {abs(skew):.0f} s {way} {who}'s; {who} refuses "
            f"requests more than {limit / 60:.0f} minutes off. Fix the clock (NTP)."
        )
    if abs(skew) > CLOCK_WARN:
        within = f"under {limit / 60:.0f} minutes; set up NTP"
        return f"{OK} Clock: {abs(skew):.0f} s {way} {who}'s ({within})."
    return f"{OK} Clock: within {CLOCK_WARN} s of {who}'s."


def check_policy(settings: Settings) -> bool:
    """``BMS_POLICY_FILE`` loaded as the bot loads it at start: a FAIL line per problem, or an ok
    line and who may do what under it."""
    path = settings.bms_policy_file
    policy: Policy | None = None
    if path is None:
        print(f"{OK} Policy: BMS_POLICY_FILE is not set; the default holds.")
    else:
        try:
            policy = load_policy(path)
        except PolicyError as exc:
            for problem in exc.problems:
                print(f"{FAIL} Policy: {path}: {problem}")
            return False
        rules = f"{_many(len(policy.grant), 'grant')}, {_many(len(policy.protect), 'protect rule')}"
        print(f"{OK} Policy: {path} is valid ({rules}).")
    for line in summarize(policy):
        print(f"     {line}")
    return True


def _many(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


async def check_slack(settings: Settings, clock: Callable[[], float] = time.time) -> bool:
    client = create_slack_client(settings)
    try:
        auth = await slack_call(client.auth_test())
    except SlackUnreachable as exc:
        print(_unreachable(settings, exc))
        return False
    except SlackFailure as exc:
        print(
            f"{FAIL} Slack: auth.test failed ({exc.error}). Check SLACK_BOT_TOKEN (xoxb-…)"
            f" and SLACK_API_URL ({settings.slack_api_url})."
        )
        return False
    print(f"{OK} Slack: connected as @{auth.get('user')} in {auth.get('team')}.")
    clock_ok = _print_clock("Slack", auth.headers.get("date"), clock(), SLACK_CLOCK_LIMIT)
    if settings.socket_app_token is not None:
        try:
            await slack_call(client.apps_connections_open(app_token=settings.socket_app_token))
        except SlackUnreachable as exc:
            print(_unreachable(settings, exc))
            return False
        except SlackFailure as exc:
            print(
                f"{FAIL} Slack Socket Mode: apps.connections.open failed ({exc.error}). Check "
                "SLACK_APP_TOKEN (xapp-…, scope connections:write) and that Socket Mode is on."
            )
            return False
        print(f"{OK} Slack Socket Mode: the app-level token can open a connection.")
    return clock_ok


def _print_clock(who: str, date: str | None, now: float, limit: float) -> bool:
    line = clock_line(who, date, now, limit)
    if line is not None:
        print(line)
    return line is None or line.startswith(OK)


def _unreachable(settings: Settings, exc: SlackUnreachable) -> str:
    return (
        f"{FAIL} Slack: cannot reach Slack at {settings.slack_api_url} ({exc.detail}). "
        "Check the network, DNS, any proxy (HTTPS_PROXY), and SLACK_API_URL."
    )


async def check_cloud(settings: Settings, clock: Callable[[], float] = time.time) -> bool:
    if settings.bms_simulator:
        print(f"{OK} Huawei Cloud: BMS_SIMULATOR=true, the bot will use its built-in simulator.")
        return True
    cloud = HuaweiCloud(settings)
    bms = BmsClient.create(
        cloud.base_url,
        cloud.project_id,
        cloud.auth(),
        timeout=settings.bms_http_timeout,
        retry=RetryPolicy(attempts=2, max_seconds=10),
    )
    try:
        count, _ = await bms.list_servers(limit=1)
    except CloudError as err:
        print(
            f"{FAIL} Huawei Cloud ({settings.bms_base_url}): {err}. {advice_for_cloud_error(err)}"
        )
        _print_clock("Huawei Cloud", bms.last_date, clock(), HUAWEI_CLOCK_LIMIT)
        return False
    finally:
        await bms.aclose()
    print(f"{OK} Huawei Cloud: {settings.bms_base_url} answered; the project has {count} servers.")
    return _print_clock("Huawei Cloud", bms.last_date, clock(), HUAWEI_CLOCK_LIMIT)


async def run_check(settings: Settings, clock: Callable[[], float] = time.time) -> int:
    mode = "Socket Mode" if settings.slack_mode == "socket" else f"HTTP on port {settings.port}"
    print(
        f"{OK} Configuration: valid ({mode}; database {settings.bms_database_url.split('://')[0]})."
    )
    policy_ok = check_policy(settings)
    slack_ok = await check_slack(settings, clock)
    cloud_ok = await check_cloud(settings, clock)
    return 0 if policy_ok and slack_ok and cloud_ok else 1
