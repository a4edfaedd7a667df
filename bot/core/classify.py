"""Which requested ids a stop will act on, and which it leaves out (unknown, stopped, stopping)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.bms.models import Server
from bot.core.models import Skipped, SkipReason, Target


def classify(
    ids: Sequence[str], found: Mapping[str, Server]
) -> tuple[tuple[Target, ...], tuple[Skipped, ...]]:
    targets: list[Target] = []
    skipped: list[Skipped] = []
    for server_id in ids:
        server = found.get(server_id)
        if server is None:
            skipped.append(Skipped(server_id, SkipReason.UNKNOWN))
        elif server.is_stopping:
            skipped.append(Skipped(server_id, SkipReason.STOPPING, server.name, server.status))
        elif server.is_stopped:
            skipped.append(Skipped(server_id, SkipReason.STOPPED, server.name, server.status))
        else:
            targets.append(Target(server_id, server.name, _shown_status(server)))
    return tuple(targets), tuple(skipped)


def _shown_status(server: Server) -> str:
    return f"{server.status} ({server.task_state})" if server.task_state else server.status
