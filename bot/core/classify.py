"""Which requested ids a stop will act on, and which it leaves out (unknown, protected by the
policy, stopped, stopping)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.bms.models import Server
from bot.core.models import Skipped, SkipReason, Target


def classify(
    ids: Sequence[str], found: Mapping[str, Server], protected: Mapping[str, str] | None = None
) -> tuple[tuple[Target, ...], tuple[Skipped, ...]]:
    """``protected``: server id → the policy rule that protects it (``bot.policy.decide``)."""
    targets: list[Target] = []
    skipped: list[Skipped] = []
    rules = protected or {}
    for server_id in ids:
        server = found.get(server_id)
        if server is None:
            skipped.append(Skipped(server_id, SkipReason.UNKNOWN))
        elif server_id in rules:
            rule = rules[server_id]
            skip = Skipped(server_id, SkipReason.PROTECTED, server.name, server.status, rule=rule)
            skipped.append(skip)
        elif server.is_stopping:
            skipped.append(Skipped(server_id, SkipReason.STOPPING, server.name, server.status))
        elif server.is_stopped:
            skipped.append(Skipped(server_id, SkipReason.STOPPED, server.name, server.status))
        else:
            targets.append(Target(server_id, server.name, _shown_status(server)))
    return tuple(targets), tuple(skipped)


def _shown_status(server: Server) -> str:
    return f"{server.status} ({server.task_state})" if server.task_state else server.status
