"""Alembic's environment: migrations run on the connection ``bot.store.migrate`` hands over."""

from __future__ import annotations

from alembic import context

from bot.store.schema import metadata

connection = context.config.attributes["connection"]
# Batch mode lets SQLite change tables it cannot ALTER in place.
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
