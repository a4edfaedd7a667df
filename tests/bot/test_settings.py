"""Configuration: defaults, validation messages, and secrets kept secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import Settings, normalise_database_url

BASE = {
    "slack_bot_token": "xoxb-1",
    "slack_app_token": "xapp-1",
    "bms_region": "cn-north-4",
    "huaweicloud_sdk_project_id": "p1",
    "huaweicloud_sdk_ak": "AK",
    "huaweicloud_sdk_sk": "SK",
}


def make(**kw) -> Settings:
    return Settings(_env_file=None, **{**BASE, **kw})


def test_defaults() -> None:
    """The documented defaults: SQLite file, 5 s polls, 30 min job timeout, 10 min confirmation."""
    s = make()
    assert s.bms_database_url == "sqlite+aiosqlite:///bms-bot.db"
    assert (s.bms_poll_interval, s.bms_job_timeout, s.bms_confirm_ttl) == (5.0, 1800.0, 600.0)
    assert s.port == 3000
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.bms_base_url == "https://bms.cn-north-4.myhuaweicloud.com"
    assert s.slack_mode == "socket"


def test_endpoint_override_and_api_url_slash() -> None:
    """BMS_ENDPOINT overrides the region's endpoint; SLACK_API_URL gets its trailing slash."""
    s = make(bms_endpoint="http://127.0.0.1:8788/", slack_api_url="https://slack-gov.com/api")
    assert s.bms_base_url == "http://127.0.0.1:8788"
    assert s.slack_api_url == "https://slack-gov.com/api/"


def test_missing_credentials_named() -> None:
    """Without AK/SK or IAM credentials the error names the variables to set."""
    with pytest.raises(ValidationError, match="HUAWEICLOUD_SDK_AK"):
        make(huaweicloud_sdk_ak=None, huaweicloud_sdk_sk=None)


def test_needs_a_slack_mode() -> None:
    """Neither an app token nor a signing secret is an error naming both."""
    with pytest.raises(ValidationError, match="SLACK_SIGNING_SECRET"):
        make(slack_app_token=None)


def test_simulator_needs_no_cloud_settings() -> None:
    """BMS_SIMULATOR=true needs no region, project or credentials."""
    s = Settings(
        _env_file=None, slack_bot_token="xoxb-1", slack_app_token="xapp-1", bms_simulator=True
    )
    assert s.bms_simulator


def test_secrets_hidden_in_repr() -> None:
    """Secrets never show in the settings' text form."""
    text = repr(make()) + str(make())
    assert "xoxb-1" not in text
    assert "SK'" not in text


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_database_url_driver(given: str, expected: str) -> None:
    """Plain database URLs get the async driver."""
    assert normalise_database_url(given) == expected


def test_iam_auth_needs_somewhere_to_get_tokens() -> None:
    """IAM-token auth with only BMS_ENDPOINT names what is missing instead of calling iam.None."""
    with pytest.raises(ValidationError, match="HUAWEICLOUD_IAM_ENDPOINT"):
        make(
            bms_region=None,
            bms_endpoint="https://bms.example",
            huaweicloud_sdk_ak=None,
            huaweicloud_sdk_sk=None,
            huaweicloud_iam_username="u",
            huaweicloud_iam_password="p",
            huaweicloud_iam_domain="d",
        )


def test_slack_mode_follows_the_tokens_unless_set() -> None:
    """Socket Mode with an app token, HTTP with only a signing secret, BMS_SLACK_MODE over both."""
    assert make(slack_app_token=None, slack_signing_secret="s").slack_mode == "http"
    both = make(slack_signing_secret="s")
    assert both.slack_mode == "socket"
    forced = make(slack_signing_secret="s", bms_slack_mode="http")
    assert forced.slack_mode == "http"
    assert forced.http_signing_secret == "s"
    assert forced.socket_app_token is None
    assert both.socket_app_token == "xapp-1"
    assert both.http_signing_secret is None


def test_slack_mode_names_the_missing_token() -> None:
    """A mode without the token it needs is refused, naming that token."""
    with pytest.raises(ValidationError, match="BMS_SLACK_MODE=socket needs SLACK_APP_TOKEN"):
        make(slack_app_token=None, slack_signing_secret="s", bms_slack_mode="socket")
    with pytest.raises(ValidationError, match="BMS_SLACK_MODE=http needs SLACK_SIGNING_SECRET"):
        make(bms_slack_mode="http")
    with pytest.raises(ValidationError, match="bms_slack_mode"):
        make(bms_slack_mode="websocket")


def test_every_missing_setting_is_named_at_once() -> None:
    """A first setup hears everything that is missing in one answer, not one per round."""
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    text = str(caught.value)
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "BMS_REGION",
        "HUAWEICLOUD_SDK_PROJECT_ID",
        "HUAWEICLOUD_SDK_AK",
    ):
        assert name in text, name
    assert "BMS_SIMULATOR=true" in text


def test_invalid_values_and_missing_settings_together() -> None:
    """A malformed value and the missing settings are named in the same answer."""
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, bms_poll_interval="soon", bms_simulator=True)
    text = str(caught.value)
    assert "bms_poll_interval" in text
    assert "SLACK_BOT_TOKEN" in text


@pytest.mark.parametrize(
    ("bot", "app", "said"),
    [
        ("xapp-1-A", "xoxb-2", "look swapped"),
        ("xoxp-123", "xapp-1-A", "SLACK_BOT_TOKEN must start with xoxb-"),
        ("xoxb-1", "xoxb-2", "SLACK_APP_TOKEN must start with xapp-"),
    ],
)
def test_token_shapes_are_checked_before_any_call(bot: str, app: str, said: str) -> None:
    """Token prefixes are checked at once; swapped tokens are called swapped; no token shown."""
    with pytest.raises(ValidationError) as caught:
        make(slack_bot_token=bot, slack_app_token=app)
    text = str(caught.value)
    assert said in text
    assert bot not in text
    assert app not in text


def test_schedule_settings_default_to_the_documented_values() -> None:
    """Reminders 60m and 10m before, 15 minutes of grace, 90 days ahead at most."""
    s = make()
    assert s.bms_reminders == (3600.0, 600.0)
    assert s.bms_schedule_grace == 900.0
    assert s.bms_schedule_horizon == 90 * 86400.0


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("10s", (10.0,)),
        ("10m,60m", (3600.0, 600.0)),
        ("1h, 10m, 10m", (3600.0, 600.0)),
        ("none", ()),
        ("", ()),
    ],
)
def test_reminders_take_the_command_durations(given: str, expected: tuple[float, ...]) -> None:
    """BMS_REMINDERS reads durations as the command does, largest first, once each."""
    assert make(bms_reminders=given).bms_reminders == expected


def test_schedule_durations_as_typed_or_seconds() -> None:
    """BMS_SCHEDULE_GRACE and BMS_SCHEDULE_HORIZON take 15m or 90d, or plain seconds."""
    s = make(bms_schedule_grace="1h30m", bms_schedule_horizon="30d")
    assert (s.bms_schedule_grace, s.bms_schedule_horizon) == (5400.0, 30 * 86400.0)
    assert make(bms_schedule_grace="120").bms_schedule_grace == 120.0


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("bms_reminders", "10m,soon", "'soon' is not a duration"),
        ("bms_schedule_grace", "a while", "is not a duration"),
        ("bms_schedule_horizon", "1h", "greater than or equal to 86400"),
    ],
)
def test_bad_schedule_settings_are_named(field: str, value: str, said: str) -> None:
    """A bad duration is refused at start, naming the setting and what would work."""
    with pytest.raises(ValidationError) as caught:
        make(**{field: value})
    assert field in str(caught.value)
    assert said in str(caught.value)
