"""Configuration from the environment and ``.env``; secrets are ``SecretStr`` and never logged."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///bms-bot.db"


def normalise_database_url(url: str) -> str:
    """Pick the async driver for plain ``sqlite://`` and ``postgresql://`` URLs."""
    for plain, driver in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+psycopg://"),
        ("postgres://", "postgresql+psycopg://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


class Settings(BaseSettings):
    """Every setting, by its environment variable name (case-insensitive)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    slack_bot_token: SecretStr = Field(description="Bot token, xoxb-…")
    slack_signing_secret: SecretStr | None = Field(None, description="Needed for HTTP mode")
    slack_app_token: SecretStr | None = Field(None, description="xapp-… token: Socket Mode")
    slack_api_url: str = "https://slack.com/api/"
    bms_slack_mode: Literal["socket", "http"] | None = Field(
        None, description="How Slack reaches the bot; default socket with SLACK_APP_TOKEN"
    )
    port: int = Field(3000, ge=0, le=65535)
    host: str = "0.0.0.0"  # noqa: S104 - a server for Slack's requests listens on every interface

    huaweicloud_sdk_ak: SecretStr | None = None
    huaweicloud_sdk_sk: SecretStr | None = None
    huaweicloud_sdk_project_id: str | None = None
    huaweicloud_iam_username: str | None = None
    huaweicloud_iam_password: SecretStr | None = None
    huaweicloud_iam_domain: str | None = None
    huaweicloud_iam_endpoint: str | None = None

    bms_region: str | None = None
    bms_endpoint: str | None = None
    bms_simulator: bool = False
    bms_simulator_servers: int = Field(12, ge=0, le=5000)

    bms_database_url: str = DEFAULT_DATABASE_URL
    bms_poll_interval: float = Field(5.0, gt=0)
    bms_job_timeout: float = Field(1800.0, gt=0)
    bms_confirm_ttl: float = Field(600.0, gt=0)
    bms_http_timeout: float = Field(15.0, gt=0)
    bms_progress_interval: float = Field(6.0, ge=0)
    bms_retry_attempts: int = Field(5, ge=1, le=20)
    bms_retry_max_seconds: float = Field(30.0, gt=0)
    bms_retry_base_delay: float = Field(0.5, ge=0)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"

    @field_validator("bms_database_url")
    @classmethod
    def _driver(cls, url: str) -> str:
        return normalise_database_url(url)

    @field_validator("slack_api_url")
    @classmethod
    def _slash(cls, url: str) -> str:
        return url if url.endswith("/") else url + "/"

    @model_validator(mode="after")
    def _complete(self) -> Settings:
        self._check_slack_mode()
        if self.bms_simulator:
            return self
        if not (self.bms_region or self.bms_endpoint):
            raise ValueError(
                "set BMS_REGION (e.g. cn-north-4) or BMS_ENDPOINT, or BMS_SIMULATOR=true"
            )
        if not self.huaweicloud_sdk_project_id:
            raise ValueError("set HUAWEICLOUD_SDK_PROJECT_ID (the project id of your region)")
        has_aksk = self.huaweicloud_sdk_ak is not None and self.huaweicloud_sdk_sk is not None
        has_iam = bool(
            self.huaweicloud_iam_username
            and self.huaweicloud_iam_password
            and self.huaweicloud_iam_domain
        )
        if has_iam and not has_aksk and not (self.bms_region or self.huaweicloud_iam_endpoint):
            raise ValueError("IAM-token auth needs BMS_REGION or HUAWEICLOUD_IAM_ENDPOINT")
        if not (has_aksk or has_iam):
            raise ValueError(
                "set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (or HUAWEICLOUD_IAM_USERNAME, "
                "HUAWEICLOUD_IAM_PASSWORD and HUAWEICLOUD_IAM_DOMAIN for IAM-token auth)"
            )
        return self

    def _check_slack_mode(self) -> None:
        if (
            self.bms_slack_mode is None
            and not self.slack_app_token
            and not self.slack_signing_secret
        ):
            raise ValueError(
                "set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)"
            )
        if self.slack_mode == "socket" and not self.slack_app_token:
            raise ValueError("BMS_SLACK_MODE=socket needs SLACK_APP_TOKEN (xapp-…)")
        if self.slack_mode == "http" and not self.slack_signing_secret:
            raise ValueError(
                "BMS_SLACK_MODE=http needs SLACK_SIGNING_SECRET (Basic Information → App "
                "Credentials) to check Slack's request signatures"
            )

    @property
    def slack_mode(self) -> Literal["socket", "http"]:
        """How Slack delivers commands, clicks and events: the one place this is decided."""
        if self.bms_slack_mode is not None:
            return self.bms_slack_mode
        return "socket" if self.slack_app_token is not None else "http"

    @property
    def socket_app_token(self) -> str | None:
        """The app-level token Socket Mode connects with; None in HTTP mode."""
        token = self.slack_app_token if self.slack_mode == "socket" else None
        return token.get_secret_value() if token is not None else None

    @property
    def http_signing_secret(self) -> str | None:
        """The secret HTTP mode checks request signatures with; None in Socket Mode."""
        secret = self.slack_signing_secret if self.slack_mode == "http" else None
        return secret.get_secret_value() if secret is not None else None

    @property
    def bms_base_url(self) -> str:
        if self.bms_endpoint:
            return self.bms_endpoint.rstrip("/")
        return f"https://bms.{self.bms_region}.myhuaweicloud.com"

    @property
    def iam_base_url(self) -> str:
        if self.huaweicloud_iam_endpoint:
            return self.huaweicloud_iam_endpoint.rstrip("/")
        return f"https://iam.{self.bms_region}.myhuaweicloud.com"
