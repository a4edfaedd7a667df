"""The import rules of ARCHITECTURE.md, checked against the code so the document stays true."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = ("bot", "handlers", "simulator")

# What each package may import from this project (by prefix) and from outside the standard
# library. A package may always import itself.
RULES: dict[str, tuple[set[str], set[str]]] = {
    "bot.core": ({"bot.ids", "bot.rates", "bot.bms.models", "bot.bms.errors"}, set()),
    "bot.policy": ({"bot.core", "bot.bms.models"}, {"pydantic", "pydantic_core"}),
    "bot.blocks": (
        {"bot.core", "bot.policy", "bot.ids", "bot.bms.models", "bot.bms.errors"},
        set(),
    ),
    "bot.bms": ({"bot.retry", "bot.rates", "bot.metrics"}, {"httpx"}),
    "bot.store": ({"bot.core", "bot.rates", "bot.bms.models"}, {"sqlalchemy", "alembic"}),
    "bot.slack": (
        {"bot.blocks", "bot.ids", "bot.settings", "bot.policy.people", "bot.policy.refs"}
        | {"bot.metrics", "bot.rates"},
        {"slack_sdk", "aiohttp"},
    ),
    "bot.stops": (
        {"bot.core", "bot.blocks", "bot.slack", "bot.store", "bot.bms.models", "bot.bms.errors"}
        | {"bot.logs", "bot.ids", "bot.policy"},
        set(),
    ),
    "handlers": (
        {"bot.deps", "bot.commands", "bot.core", "bot.ids", "bot.slack", "bot.blocks"}
        | {"bot.bms.errors", "bot.store.database.DatabaseUnavailable"},
        {"slack_bolt"},
    ),
    "simulator": ({"bot.bms.signing"}, {"aiohttp", "httpx"}),
}


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def imports(path: Path) -> set[str]:
    """Every absolute import in the file, at any depth (lazy imports included), as the full name
    of what is imported (``from bot.bms import signing`` is ``bot.bms.signing``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {name for name in found if not name.startswith("__future__")}


def sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def is_within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def rule_for(module: str) -> tuple[str, set[str], set[str]] | None:
    for package, (ours, theirs) in RULES.items():
        if is_within(module, package):
            return package, ours, theirs
    return None


def broken_rules(path: Path, module: str | None = None) -> list[str]:
    module = module or module_name(path)
    rule = rule_for(module)
    if rule is None:
        return []
    package, ours, theirs = rule
    broken = []
    for name in imports(path):
        top = name.split(".")[0]
        if top in sys.stdlib_module_names or is_within(name, package):
            continue
        allowed = ours if top in PACKAGES else theirs
        if not any(is_within(name, prefix) for prefix in allowed):
            broken.append(f"{module} imports {name}")
    return broken


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_layers(path: Path) -> None:
    """Each package imports only what ARCHITECTURE.md allows it."""
    assert broken_rules(path) == []


def test_the_bot_never_imports_the_simulator() -> None:
    """The simulator is found by its entry point; nothing in bot/ or handlers/ imports it."""
    offenders = [
        f"{module_name(p)} imports {name}"
        for p in sources()
        if not is_within(module_name(p), "simulator")
        for name in imports(p)
        if is_within(name, "simulator")
    ]
    assert offenders == []


def test_only_the_store_knows_sqlalchemy() -> None:
    """No SQLAlchemy import outside bot/store/."""
    offenders = [
        module_name(p)
        for p in sources()
        if any(is_within(n, "sqlalchemy") for n in imports(p))
        and not is_within(module_name(p), "bot.store")
    ]
    assert offenders == []


def test_the_rules_catch_a_breach(tmp_path: Path) -> None:
    """A core module importing the store is reported (the check can fail)."""
    bad = tmp_path / "probe.py"
    bad.write_text("from bot.store import Store\nimport sqlalchemy\n")
    assert sorted(broken_rules(bad, "bot.core.probe")) == [
        "bot.core.probe imports bot.store.Store",
        "bot.core.probe imports sqlalchemy",
    ]
