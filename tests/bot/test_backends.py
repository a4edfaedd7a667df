"""Choosing the cloud backend: Huawei Cloud from the settings, or the simulator by entry point."""

from __future__ import annotations

import pytest

from bot.backends import BackendUnavailable, HuaweiCloud, open_backend, simulator_entry
from bot.bms.signing import AkSkAuth
from bot.bms.token_auth import IamTokenAuth
from bot.settings import Settings

BASE = {"slack_bot_token": "xoxb-1", "slack_app_token": "xapp-1"}


def settings(**kw: object) -> Settings:
    return Settings(_env_file=None, **{**BASE, **kw})  # type: ignore[arg-type]


async def test_huawei_cloud_from_the_settings() -> None:
    """Without the simulator the backend is the region's endpoint, signed with AK/SK."""
    backend = await open_backend(
        settings(
            bms_region="cn-north-4",
            huaweicloud_sdk_project_id="p1",
            huaweicloud_sdk_ak="AK",
            huaweicloud_sdk_sk="SK",
        )
    )
    assert isinstance(backend, HuaweiCloud)
    assert backend.base_url == "https://bms.cn-north-4.myhuaweicloud.com"
    assert backend.project_id == "p1"
    assert isinstance(backend.auth(), AkSkAuth)
    assert not backend.simulated
    assert backend.samples == ()


async def test_iam_credentials_give_token_auth() -> None:
    """IAM user, password and domain instead of AK/SK give IAM-token auth."""
    backend = await open_backend(
        settings(
            bms_region="cn-north-4",
            huaweicloud_sdk_project_id="p1",
            huaweicloud_iam_username="ops",
            huaweicloud_iam_password="pw",
            huaweicloud_iam_domain="acme",
        )
    )
    assert isinstance(backend.auth(), IamTokenAuth)


async def test_simulator_found_by_entry_point() -> None:
    """BMS_SIMULATOR=true starts the simulator package's backend, which says it is simulated."""
    backend = await open_backend(settings(bms_simulator=True, bms_simulator_servers=4))
    try:
        assert backend.simulated
        assert backend.base_url.startswith("http://127.0.0.1:")
        assert len(backend.samples) == 3
    finally:
        await backend.aclose()


def test_a_missing_plugin_is_explained() -> None:
    """An entry point that is not installed is a plain explanation, not an ImportError."""
    with pytest.raises(BackendUnavailable, match="not installed"):
        simulator_entry("no-such-thing")
