"""``bms-bot check``: can this configuration reach Slack and Huawei Cloud? Says so plainly."""

from __future__ import annotations

from bot.backends import HuaweiCloud
from bot.bms.client import BmsClient
from bot.bms.errors import CloudError
from bot.core.explain import advice_for_cloud_error
from bot.retry import RetryPolicy
from bot.settings import Settings
from bot.slack.clients import create_slack_client
from bot.slack.poster import SlackFailure, SlackUnreachable, slack_call

OK, FAIL = "ok  ", "FAIL"


async def check_slack(settings: Settings) -> bool:
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
    return True


def _unreachable(settings: Settings, exc: SlackUnreachable) -> str:
    return (
        f"{FAIL} Slack: cannot reach Slack at {settings.slack_api_url} ({exc.detail}). "
        "Check the network, DNS, any proxy (HTTPS_PROXY), and SLACK_API_URL."
    )


async def check_cloud(settings: Settings) -> bool:
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
        return False
    finally:
        await bms.aclose()
    print(f"{OK} Huawei Cloud: {settings.bms_base_url} answered; the project has {count} servers.")
    return True


async def run_check(settings: Settings) -> int:
    mode = "Socket Mode" if settings.slack_mode == "socket" else f"HTTP on port {settings.port}"
    print(
        f"{OK} Configuration: valid ({mode}; database {settings.bms_database_url.split('://')[0]})."
    )
    slack_ok = await check_slack(settings)
    cloud_ok = await check_cloud(settings)
    return 0 if slack_ok and cloud_ok else 1
