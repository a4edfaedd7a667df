"""Everything missing or inconsistent in a configuration, found in one pass.

Works on plain values (the raw environment when some value is malformed, or the validated
settings), so a first setup hears every problem in one answer. Token values are never echoed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

BOT_PREFIX, APP_PREFIX = "xoxb-", "xapp-"
_TRUE = frozenset({"1", "true", "yes", "on"})
_TRY_SIMULATOR = "or set BMS_SIMULATOR=true to try the bot with its built-in simulator first"


def _text(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return "" if value is None else str(value).strip()


def _on(values: Mapping[str, Any], name: str) -> bool:
    value = values.get(name)
    return value if isinstance(value, bool) else _text(values, name).lower() in _TRUE


def problems(values: Mapping[str, Any]) -> list[str]:
    """One sentence per problem; empty when the configuration is complete."""
    found = _slack_tokens(values) + _slack_mode(values)
    if not _on(values, "bms_simulator"):
        found += _cloud(values)
    return found


def _slack_tokens(values: Mapping[str, Any]) -> list[str]:
    bot, app = _text(values, "slack_bot_token"), _text(values, "slack_app_token")
    if not bot:
        return ["SLACK_BOT_TOKEN is required: the Bot User OAuth Token (xoxb-…, Install App)"]
    if bot.startswith(APP_PREFIX) and app.startswith(BOT_PREFIX):
        return [
            "SLACK_BOT_TOKEN and SLACK_APP_TOKEN look swapped: the bot token starts with "
            "xoxb-, the app-level token with xapp-"
        ]
    found = []
    if not bot.startswith(BOT_PREFIX):
        found.append("SLACK_BOT_TOKEN must start with xoxb- (the Bot User OAuth Token)")
    if app and not app.startswith(APP_PREFIX):
        found.append("SLACK_APP_TOKEN must start with xapp- (an app-level token)")
    return found


def _slack_mode(values: Mapping[str, Any]) -> list[str]:
    mode = _text(values, "bms_slack_mode").lower()
    app, secret = _text(values, "slack_app_token"), _text(values, "slack_signing_secret")
    if not mode and not app and not secret:
        return ["set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)"]
    if mode == "socket" and not app:
        return ["BMS_SLACK_MODE=socket needs SLACK_APP_TOKEN (xapp-…)"]
    if mode == "http" and not secret:
        return [
            "BMS_SLACK_MODE=http needs SLACK_SIGNING_SECRET (Basic Information → App "
            "Credentials) to check Slack's request signatures"
        ]
    return []


def _cloud(values: Mapping[str, Any]) -> list[str]:
    found = []
    region, endpoint = _text(values, "bms_region"), _text(values, "bms_endpoint")
    if not (region or endpoint):
        found.append(f"set BMS_REGION (e.g. cn-north-4) or BMS_ENDPOINT, {_TRY_SIMULATOR}")
    if not _text(values, "huaweicloud_sdk_project_id"):
        found.append("set HUAWEICLOUD_SDK_PROJECT_ID (the project id of your region)")
    aksk = all(_text(values, n) for n in ("huaweicloud_sdk_ak", "huaweicloud_sdk_sk"))
    iam = all(_text(values, f"huaweicloud_iam_{n}") for n in ("username", "password", "domain"))
    if iam and not aksk and not (region or _text(values, "huaweicloud_iam_endpoint")):
        found.append("IAM-token auth needs BMS_REGION or HUAWEICLOUD_IAM_ENDPOINT")
    if not (aksk or iam):
        found.append(
            "set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (or HUAWEICLOUD_IAM_USERNAME, "
            "HUAWEICLOUD_IAM_PASSWORD and HUAWEICLOUD_IAM_DOMAIN for IAM-token auth)"
        )
    return found
