"""The yardstick for the ack path: a bare Bolt ``AsyncApp`` that only acks ``/bms``.

It verifies Slack's signature like the bot does and is served by the same aiohttp adapter, with no
database, no preview and nothing running behind the ack. ``bench/in_flight.py`` runs it as its own
process next to the bot and sends both the same burst of slash commands.

    SLACK_SIGNING_SECRET=... SLACK_BOT_TOKEN=... SLACK_API_URL=... \\
        .venv/bin/python bench/bare_bolt.py --port 3001
"""

from __future__ import annotations

import argparse
import os

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def create_app() -> AsyncApp:
    client = AsyncWebClient(
        token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]
    )
    app = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])

    @app.command("/bms")
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web_app = create_app().web_app(path="/slack/events")
    web.run_app(web_app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
