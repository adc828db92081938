"""Alembic migrations, applied on start and by `interlink db upgrade`."""
