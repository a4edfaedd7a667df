"""Huawei Cloud error codes in plain language, each with what to do about it.

The codes are the ones Huawei documents for BMS power operations (see the BMS API reference, §4).
Texts are plain sentences without user data, safe to put in mrkdwn as they are.
"""

from __future__ import annotations

import math

from bot.bms.errors import (
    CloudAuthError,
    CloudError,
    CloudNotFound,
    CloudRejected,
    CloudThrottled,
    CloudUnavailable,
)
from bot.bms.models import MAX_STOP_BATCH

_BAD_PARAMETER = (
    "Huawei Cloud said a parameter is invalid, for example a malformed server id. "
    "Check the ids; if they look right, tell your bms-bot admins."
)
_NO_PERMISSION = (
    "bms-bot's Huawei Cloud user is not allowed to do this: an IAM policy denies it. "
    "Ask your cloud admins to grant `bms:servers:stop` for this project (check any tag or "
    "enterprise-project conditions too)."
)
_CREDENTIALS_CHECK = (
    "Run `bms-bot check`, verify HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK and "
    "HUAWEICLOUD_SDK_PROJECT_ID, and make sure the bot machine's clock is within 15 minutes of "
    "real time. Five bad signatures lock the key for 5 minutes."
)

_EXPLANATIONS: dict[str, str] = {
    "BMS.0001": "Huawei Cloud could not read the request. This is a bms-bot bug: tell your "
    "bms-bot admins, with the request id.",
    "BMS.0018": _BAD_PARAMETER,
    "BMS.0022": _BAD_PARAMETER,
    "BMS.0004": _NO_PERMISSION,
    "BMS.0005": _NO_PERMISSION,
    "BMS.0033": _NO_PERMISSION,
    "BMS.0288": _NO_PERMISSION,
    "BMS.0035": "The server is powering on. Wait until it has started, then stop it again.",
    "BMS.0036": "The server is already powering off. Nothing to do: it will be stopped shortly.",
    "BMS.0037": "The server is rebooting. Wait until the reboot ends, then stop it again.",
    "BMS.0039": "The server is already stopped. Nothing to do.",
    "BMS.0040": "The server does not exist in this project. Check the id, and that the server "
    "is in the region and project bms-bot is set up for.",
    "BMS.0205": f"Too many servers in one request. bms-bot sends at most {MAX_STOP_BATCH} per "
    "call, so tell your bms-bot admins.",
    "BMS.0212": "Huawei Cloud is overloaded. Wait a few minutes and try again.",
    "COMMON.0018": "The project in the credentials differs from the project in the request. "
    "Check that HUAWEICLOUD_SDK_PROJECT_ID belongs to the configured region (BMS_REGION).",
    "APIGW.0101": "Huawei Cloud has no such API: the endpoint is probably wrong. "
    "Check BMS_REGION / BMS_ENDPOINT.",
    "APIGW.0301": "Huawei Cloud rejected the credentials. " + _CREDENTIALS_CHECK,
    "APIGW.0302": "bms-bot's Huawei Cloud user is not authorised to call the BMS API. "
    "Ask your cloud admins to grant it BMS permissions for this project.",
    "APIGW.0308": "Huawei Cloud is throttling requests. Wait a minute and try again.",
}


_CLASS_ADVICE: tuple[tuple[type[CloudError], str], ...] = (
    (
        CloudUnavailable,
        "Huawei Cloud did not answer properly; this is often transient. Try again in a few "
        "minutes, or check the state later with `/bms status`.",
    ),
    (CloudNotFound, "Huawei Cloud has no such server or job in this project. Check the id."),
    (CloudRejected, "Huawei Cloud refused the request; its message above says why."),
)


def explain(code: str | None) -> str | None:
    """What a Huawei error code means and what to do; None for codes we do not know."""
    if not code:
        return None
    return _EXPLANATIONS.get(code.strip().upper())


def advice_for_cloud_error(err: CloudError, *, stopping: bool = False) -> str:
    """What the person should do about ``err``; ``stopping`` if it came from a stop call."""
    if isinstance(err, CloudAuthError):
        return "Huawei Cloud rejected the credentials. " + _CREDENTIALS_CHECK
    if isinstance(err, CloudUnavailable) and err.maybe_sent and stopping:
        return (
            "The stop may or may not have been accepted. Run `/bms stop` again with the same "
            "ids: servers already stopping are skipped."
        )
    return explain(err.code) or _advice_by_class(err)


def _advice_by_class(err: CloudError) -> str:
    if isinstance(err, CloudThrottled):
        wait = _seconds(err.retry_after) if err.retry_after else "a minute"
        return f"Huawei Cloud is throttling requests. Wait {wait} and try again."
    for kind, advice in _CLASS_ADVICE:
        if isinstance(err, kind):
            return advice
    return "Try again in a few minutes; if it keeps failing, tell your bms-bot admins."


def _seconds(value: float) -> str:
    """Whole seconds, rounded up so a wait is never understated: ``1 second``, ``30 seconds``."""
    count = max(1, math.ceil(value))
    return f"{count} second" if count == 1 else f"{count} seconds"
