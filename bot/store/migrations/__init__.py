"""Alembic migrations of the bot's database: every schema change is a file in ``versions/``."""
