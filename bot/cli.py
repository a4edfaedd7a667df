"""The ``bms-bot`` console script: run the bot, check the configuration, migrate the database,
verify or export the audit trail, or serve the simulator."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO, cast

from pydantic import ValidationError

from bot.logs import setup_logging
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.store import Store

EXIT_CONFIG = 2
EXIT_BROKEN = 1


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


def _parser() -> argparse.ArgumentParser:
    formatter = argparse.ArgumentDefaultsHelpFormatter
    parser = argparse.ArgumentParser(
        prog="bms-bot",
        description="Stop Huawei Cloud Bare Metal Servers safely from Slack. Configuration comes "
        "from the environment or a .env file (README.md, Configuration).",
        formatter_class=formatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="{run,check,migrate,audit,simulator}")
    sub.add_parser(
        "run",
        help="run the bot (the default)",
        description="Run the bot: Socket Mode or HTTP, as BMS_SLACK_MODE says, until SIGTERM.",
        formatter_class=formatter,
    )
    sub.add_parser(
        "check",
        help="check the configuration, Slack and Huawei Cloud access",
        description="Check the configuration, then Slack (auth.test, Socket Mode) and Huawei "
        "Cloud (one cheap call); say plainly what is wrong. Exit 0 when all is well, else 1.",
        formatter_class=formatter,
    )
    sub.add_parser(
        "migrate",
        help="bring the database schema up to date",
        description="Apply the database migrations (every start does this too) and say from "
        "which revision to which. Reads only BMS_DATABASE_URL.",
        formatter_class=formatter,
    )
    _audit_parser(
        sub.add_parser(
            "audit",
            help="verify or export the audit trail",
            description="Check that no entry of the audit trail was changed or removed, or export "
            "it as JSON lines for a SIEM. Reads only BMS_DATABASE_URL.",
            formatter_class=formatter,
        )
    )
    sim = sub.add_parser(
        "simulator",
        help="serve the BMS simulator over HTTP",
        description="Serve the BMS simulator on its own and print the settings that point a "
        "bot at it. Fixed, public credentials: for trying things out only.",
        formatter_class=formatter,
    )
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sim.add_argument("--port", type=int, default=8788, help="port to listen on (0: any)")
    sim.add_argument("--servers", type=int, default=12, help="servers to start with")
    return parser


def _audit_parser(audit: argparse.ArgumentParser) -> None:
    formatter = argparse.ArgumentDefaultsHelpFormatter
    sub = audit.add_subparsers(dest="audit_command", metavar="{verify,export}", required=True)
    sub.add_parser(
        "verify",
        help="check the audit trail's hash chain",
        description="Check the audit trail's hash chain from its first entry: exit 0 when it "
        "is intact, 1 naming the first entry that was changed, removed or reordered, and why. "
        "Reads only BMS_DATABASE_URL.",
        formatter_class=formatter,
    )
    export = sub.add_parser(
        "export",
        help="write audit entries as JSON lines",
        description="Write the audit entries of events at or after a date or time as JSON "
        "lines, one object per entry with every field and both hashes (for a SIEM). Reads only "
        "BMS_DATABASE_URL.",
        formatter_class=formatter,
    )
    export.add_argument(
        "--since",
        required=True,
        default=argparse.SUPPRESS,  # required: no default to show
        metavar="WHEN",
        help="ISO 8601 date or date and time, e.g. 2027-01-15 or 2027-01-15T08:00:00+01:00 "
        "(UTC when it names no zone)",
    )
    export.add_argument("--output", default="-", metavar="FILE", help="file to write; - is stdout")


def parse_since(text: str) -> float | None:
    """An ISO 8601 date or date and time as epoch seconds (UTC unless it says otherwise)."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _audit(args: argparse.Namespace) -> int:
    """``bms-bot audit verify|export``: the exit code; the verdict or the lines are printed."""
    if args.audit_command == "verify":
        return asyncio.run(_with_store(_verify))
    since = parse_since(args.since)
    if since is None:
        print(
            f"bms-bot audit export: --since {args.since!r} is not an ISO 8601 date or time "
            "(e.g. 2027-01-15 or 2027-01-15T08:00:00Z)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    try:
        with _output(args.output) as out:
            return asyncio.run(_with_store(lambda store: _export(store, since, args.since, out)))
    except OSError as exc:
        print(f"bms-bot audit export: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
        return EXIT_CONFIG


@contextlib.contextmanager
def _output(path: str) -> Iterator[TextIO]:
    if path == "-":
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8") as out:
        yield out


async def _with_store(action: Callable[[Store], Awaitable[int]]) -> int:
    """``action`` on the store at BMS_DATABASE_URL (no other setting is read)."""
    from bot.settings import DatabaseSettings  # noqa: PLC0415 - only these subcommands need it
    from bot.store import DatabaseUnavailable, open_store  # noqa: PLC0415

    try:
        store = await open_store(DatabaseSettings().bms_database_url)
    except DatabaseUnavailable as exc:
        print(f"bms-bot audit: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        return await action(store)
    except DatabaseUnavailable as exc:
        print(f"bms-bot audit: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    finally:
        await store.close()


def _entries(count: int) -> str:
    return f"{count} {'entry' if count == 1 else 'entries'}"


async def _verify(store: Store) -> int:
    report = await store.audit.verify()
    if report.broken is not None:
        print(f"The audit chain is broken at entry {report.broken.seq}: {report.broken.why}.")
        print(f"({_entries(report.checked)} read.)")
        return EXIT_BROKEN
    print(f"{_entries(report.checked)}, the chain is intact.")
    if report.checked:
        print(
            f"The newest is entry {report.checked}, hash {report.last_hash}: kept elsewhere, "
            "it shows whether entries are later removed from the end."
        )
    return 0


async def _export(store: Store, since: float, label: str, out: TextIO) -> int:
    from bot.core.audit import to_json_line  # noqa: PLC0415

    count = 0
    async for entry in store.audit.since(since):
        out.write(to_json_line(entry) + "\n")
        count += 1
    print(f"Exported {_entries(count)} since {label}.", file=sys.stderr)
    return 0


async def _migrate() -> int:
    """``bms-bot migrate``: the exit code; what happened is printed."""
    from bot.settings import DatabaseSettings  # noqa: PLC0415 - only this subcommand needs it
    from bot.store import DatabaseUnavailable, migrate_database  # noqa: PLC0415

    url = DatabaseSettings().bms_database_url
    try:
        before, after = await migrate_database(url)
    except DatabaseUnavailable as exc:
        print(f"bms-bot migrate: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if before == after:
        print(f"The database is up to date (revision {after}).")
    else:
        print(f"Migrated the database from revision {before or 'none'} to {after}.")
    return 0


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)

    if args.command == "simulator":
        _serve_simulator(args.host, args.port, args.servers)
        return
    if args.command == "migrate":
        raise SystemExit(asyncio.run(_migrate()))
    if args.command == "audit":
        raise SystemExit(_audit(args))
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
