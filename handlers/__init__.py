"""Slack listeners, split by feature type; ``register(app)`` wires them all."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import actions, commands, errors, events, views


def register(app: AsyncApp) -> None:
    commands.register(app)
    actions.register(app)
    events.register(app)
    views.register(app)
    errors.register(app)
