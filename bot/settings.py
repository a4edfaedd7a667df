"""Configuration from the environment and ``.env``; secrets are ``SecretStr`` and never logged."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, cast

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot import settings_check
from bot.core.durations import DurationError, parse_duration
from bot.core.schedule import DEFAULT_GRACE, DEFAULT_REMINDERS
from bot.core.when import HORIZON_DAYS

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


class DatabaseSettings(BaseSettings):
    """Only the database: what ``bms-bot migrate`` needs (no Slack or cloud settings)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    bms_database_url: str = DEFAULT_DATABASE_URL

    @field_validator("bms_database_url")
    @classmethod
    def _driver(cls, url: str) -> str:
        return normalise_database_url(url)


def _problem(text: str, data: Any) -> InitErrorDetails:
    """A configuration problem as one more line of a ValidationError."""
    return {"type": PydanticCustomError("incomplete", text), "loc": (), "input": data}


class Settings(DatabaseSettings):
    """Every setting, by its environment variable name (case-insensitive); the database URL
    and its driver rule come from ``DatabaseSettings``."""

    slack_bot_token: SecretStr | None = Field(None, description="Bot token, xoxb-… (required)")
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
    bms_simulator_servers: int = Field(12, ge=0, le=10_000)

    bms_poll_interval: float = Field(5.0, gt=0)
    bms_job_queries_per_minute: float = Field(
        2000.0, gt=0, description="Job polls a minute, for the whole bot (Huawei's limit)"
    )
    bms_stop_calls_per_minute: float = Field(
        50.0, gt=0, description="Stop calls a minute, for the whole bot (Huawei's limit)"
    )
    bms_leader_timeout: float = Field(
        15.0, ge=3, description="With several replicas: how soon another takes over a dead leader"
    )
    bms_job_timeout: float = Field(1800.0, gt=0)
    bms_confirm_ttl: float = Field(600.0, gt=0)
    bms_reconcile_seconds: float = Field(120.0, gt=0)
    bms_http_timeout: float = Field(15.0, gt=0)
    bms_progress_interval: float = Field(6.0, ge=0)
    bms_retry_attempts: int = Field(5, ge=1, le=20)
    bms_retry_max_seconds: float = Field(30.0, gt=0)
    bms_retry_base_delay: float = Field(0.5, ge=0)

    # Scheduled stops: durations as the command takes them (10s, 15m, 1h, 1h30m).
    bms_reminders: Annotated[tuple[float, ...], NoDecode] = Field(
        DEFAULT_REMINDERS, description="Reminders before a scheduled stop, e.g. 60m,10m"
    )
    bms_schedule_grace: float = Field(
        DEFAULT_GRACE, ge=0, description="How late a scheduled stop may still run, e.g. 15m"
    )
    bms_schedule_horizon: float = Field(
        HORIZON_DAYS * 86400.0,
        ge=86400,
        description="How far ahead a stop may be scheduled, e.g. 90d",
    )

    bms_policy_file: Path | None = Field(
        None, description="TOML file: who may stop what (README, Policy reference)"
    )
    bms_groups_refresh: float = Field(300.0, ge=5, description="Seconds between user-group reads")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] | None = None  # None: text on a terminal, else JSON

    @field_validator("bms_reminders", mode="before")
    @classmethod
    def _reminders(cls, value: Any) -> Any:
        """``60m,10m``; empty or ``none`` for no reminders."""
        if not isinstance(value, str):
            return value
        words = [w for w in value.replace(" ", ",").split(",") if w]
        if [w.lower() for w in words] in ([], ["none"]):
            return ()
        try:
            return tuple(sorted({parse_duration(w) for w in words}, reverse=True))
        except DurationError as exc:
            raise ValueError(f"{exc}; separate several with commas, like 60m,10m") from None

    @field_validator("bms_schedule_grace", "bms_schedule_horizon", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        """``15m`` as the command takes it (a plain number is seconds)."""
        if isinstance(value, str) and not value.strip().replace(".", "", 1).isdigit():
            try:
                return parse_duration(value)
            except DurationError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slash(cls, url: str) -> str:
        return url if url.endswith("/") else url + "/"

    @model_validator(mode="wrap")
    @classmethod
    def _complete(cls, data: Any, handler: ModelWrapValidatorHandler[Settings]) -> Settings:
        """Name every problem in one answer: malformed values and missing settings together."""
        raw = {str(k).lower(): v for k, v in data.items()} if isinstance(data, dict) else {}
        try:
            settings = handler(data)
        except ValidationError as exc:
            missing = settings_check.problems(raw)
            if not missing:
                raise
            # ErrorDetails carry every key InitErrorDetails needs (and a message, ignored).
            errors = cast("list[InitErrorDetails]", exc.errors())
            extra = [_problem(text, data) for text in missing]
            raise ValidationError.from_exception_data(exc.title, [*errors, *extra]) from None
        found = settings_check.problems(dict(settings))
        if found:
            raise ValueError("\n".join(found))
        return settings

    @property
    def bot_token(self) -> str:
        """SLACK_BOT_TOKEN (validation guarantees it is set)."""
        if self.slack_bot_token is None:
            raise ValueError("SLACK_BOT_TOKEN is not set")
        return self.slack_bot_token.get_secret_value()

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
