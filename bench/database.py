"""A throw-away database for the benches: SQLite in a temporary directory or a given URL.

The database given is emptied first (PostgreSQL: the public schema is dropped), then
migrated to the current schema. Not part of the application.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from reception import create_app
from reception.extensions import db
from reception.models import Municipality, User
from reception.models.tenancy import system
from reception.services import accounts

DEFAULT_POSTGRES = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/mtg_bench_run"
)


def sqlite_url() -> str:
    return f"sqlite:///{tempfile.mkdtemp(prefix='mtg-bench-')}/bench.db"


def postgres_answers(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect():
            return True
    except Exception:
        return False
    finally:
        engine.dispose()


def label(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


@contextmanager
def fresh(url: str, config: dict[str, Any] | None = None) -> Iterator[Flask]:
    """An app on an emptied, migrated database, inside a request context (for gettext)."""
    os.environ.setdefault("SECRET_KEY", "bench")
    app = create_app({**(config or {}), "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context(), app.test_request_context():
        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        logging.disable(logging.INFO)  # alembic's line per migration
        upgrade()
        logging.disable(logging.NOTSET)
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def municipality_with(role: str) -> tuple[Municipality, User]:
    with system(db.session):
        municipality = accounts.create_municipality("9999", "Benchkommun")
    user = accounts.create_user(municipality, f"{role}@bench.example", "Bench User", [role])
    return municipality, user


def analyze() -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would leave them."""
    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def follow_sequences(*tables: str) -> None:
    """After rows were inserted with explicit ids: PostgreSQL's next id follows the largest."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in tables:
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        )
