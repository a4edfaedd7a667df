"""Which ids a stop acts on."""

from __future__ import annotations

from bot.bms.models import Server
from bot.core.classify import classify
from bot.core.models import SkipReason


def test_classify_each_kind() -> None:
    """Running servers are targets; unknown, stopped and stopping ones are skipped with a reason."""
    found = {
        "run": Server("run", "web-1", "ACTIVE"),
        "off": Server("off", "web-2", "SHUTOFF"),
        "going": Server("going", "web-3", "ACTIVE", task_state="powering-off"),
        "starting": Server("starting", "web-4", "SHUTOFF", task_state="powering-on"),
    }
    targets, skipped = classify(["run", "off", "going", "starting", "ghost"], found)
    assert [t.id for t in targets] == ["run", "starting"]
    assert {s.id: s.reason for s in skipped} == {
        "off": SkipReason.STOPPED,
        "going": SkipReason.STOPPING,
        "ghost": SkipReason.UNKNOWN,
    }


def test_order_kept() -> None:
    """Targets keep the order the person typed."""
    found = {i: Server(i, i, "ACTIVE") for i in ("c", "a", "b")}
    targets, _ = classify(["c", "a", "b"], found)
    assert [t.id for t in targets] == ["c", "a", "b"]
