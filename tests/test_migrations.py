"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from reception.extensions import db


def test_migrations_match_models(app_ctx: Flask) -> None:
    # The session fixture built the schema with `flask db upgrade`, not create_all.
    with db.engine.connect() as connection, warnings.catch_warnings():
        # SQLite cannot reflect the expression index; PostgreSQL compares it.
        warnings.simplefilter("ignore")
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []
