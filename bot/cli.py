"""The ``bms-bot`` console script: run the bot, check the configuration, or serve the simulator."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Sequence
from typing import cast

from pydantic import ValidationError

from bot.logs import setup_logging
from bot.settings import Settings

EXIT_CONFIG = 2


def load_settings() -> Settings:
    """Settings from the environment and .env, or a plain explanation and exit code 2."""
    try:
        return Settings()  # type: ignore[call-arg]  # pydantic-settings fills fields from the environment
    except ValidationError as exc:
        print("bms-bot is not configured yet:", file=sys.stderr)
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]).upper()
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "missing":
                message = "is required"
            for line in message.splitlines():  # the completeness check says several things
                print(f"  - {field} {line}" if field else f"  - {line}", file=sys.stderr)
        print(
            "Set them in the environment or in a .env file (see .env.example and README.md).\n"
            "To try the Slack flow without Huawei Cloud credentials, set BMS_SIMULATOR=true.",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_CONFIG) from None


def _secrets(settings: Settings) -> list[str]:
    values = [
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.huaweicloud_sdk_ak,
        settings.huaweicloud_sdk_sk,
        settings.huaweicloud_iam_password,
    ]
    return [v.get_secret_value() for v in values if v is not None]


def _serve_simulator(host: str, port: int, servers: int) -> None:
    """``bms-bot simulator``: the simulator package's own server, found by its entry point."""
    from bot.backends import BackendUnavailable, ServeSimulator, simulator_entry  # noqa: PLC0415

    try:
        serve = cast("ServeSimulator", simulator_entry("serve"))
    except BackendUnavailable as exc:
        print(f"bms-bot simulator: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    serve(host, port, servers)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bms-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)")
    sub.add_parser("check", help="validate configuration, Slack and Huawei Cloud access")
    sim = sub.add_parser("simulator", help="serve the BMS simulator over HTTP")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8788)
    sim.add_argument("--servers", type=int, default=12)
    args = parser.parse_args(argv)

    if args.command == "simulator":
        _serve_simulator(args.host, args.port, args.servers)
        return
    settings = load_settings()
    setup_logging(settings.log_level, settings.log_format, _secrets(settings))
    if args.command == "check":
        from bot.check import run_check  # noqa: PLC0415 - only this subcommand needs it

        raise SystemExit(asyncio.run(run_check(settings)))
    from bot.runtime import StartupError, serve  # noqa: PLC0415 - keeps `bms-bot check` light

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(settings))
    except StartupError as exc:
        print(f"bms-bot cannot start: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
