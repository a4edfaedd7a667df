"""The advisory lock keys are distinct: a shared key once made every confirmation wait on the
leader's lock."""

from __future__ import annotations

from bot.store import locks


def test_every_advisory_lock_key_is_its_own() -> None:
    """No two uses of PostgreSQL advisory locks share a key."""
    keys = [v for k, v in vars(locks).items() if k.isupper()]
    assert len(keys) == 4
    assert len(set(keys)) == len(keys)
