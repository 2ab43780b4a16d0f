"""Mottagning: reception workflows for Swedish municipalities."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, g, has_request_context, request, session
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

from reception.config import PROJECT_ROOT, default_settings
from reception.engine.definitions import load_directory
from reception.engine.rates import RateError, load_rates
from reception.extensions import babel, csrf, db, migrate
from reception.services.validation import MAX_INTEGER


def select_locale() -> str:
    """The user's language; before sign-in the one chosen in this browser; else the
    browser's preference between sv and en, Swedish when it states none."""
    user = getattr(g, "user", None)
    if user is not None and user.locale in ("sv", "en"):
        return user.locale
    if not has_request_context():
        return "sv"  # command line and background jobs
    if session.get("locale") in ("sv", "en"):
        return session["locale"]
    return request.accept_languages.best_match(("sv", "en"), default="sv") or "sv"


class IdConverter(IntegerConverter):
    """`<int:…>` in URLs, bounded to the INTEGER columns the ids live in.

    A larger number is a 404 like any other unknown id, instead of an overflow in the
    database driver (SQLite refuses integers beyond 64 bits, PostgreSQL's ids are 32-bit).
    """

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_INTEGER)
        super().__init__(url_map, *args, **kwargs)


def create_app(settings: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(default_settings(Path(app.instance_path)))
    if settings:
        app.config.from_mapping(settings)

    import reception.models  # noqa: F401  (registers the tables)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    babel.init_app(app, locale_selector=select_locale)

    # Loaded once: a broken definition stops start-up with the file and field named.
    app.extensions["workflows"] = load_directory(Path(app.config["WORKFLOWS_DIR"]))
    try:
        app.extensions["rates"] = load_rates(Path(app.config["RATES_DIR"]))
    except RateError as exc:
        # Expected payments would be wrong or missing: refuse to start, naming file and field.
        raise RuntimeError(
            f"cannot start: invalid reimbursement rates (RATES_DIR): {exc}. "
            "Check with: flask --app wsgi rates validate DIR"
        ) from exc

    from reception.api import bp as api_bp
    from reception.cli import register_cli
    from reception.reminders import scheduler
    from reception.web import init_web

    app.url_map.converters["int"] = IdConverter
    app.register_blueprint(api_bp)
    init_web(app)  # after the API: its error pages defer to the API's JSON for /api/
    csrf.exempt(api_bp)  # bearer tokens, no cookies: nothing to forge
    register_cli(app)
    scheduler.install(app)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite leaves foreign keys off by default; WAL lets the web and scheduler share the file.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
