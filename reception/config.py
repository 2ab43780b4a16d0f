"""Settings, read from the environment with safe embedded defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{instance_path / 'mottagning.db'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants a driver name.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise RuntimeError(f"setting {name} must be a whole number, not {value!r}") from exc


def mail_settings(instance_path: Path) -> dict[str, Any]:
    """SMTP settings; without MAIL_HOST mail is written as .eml files to instance/outbox/."""
    security = os.environ.get("MAIL_SECURITY", "starttls").strip().lower()
    if security not in ("none", "starttls", "ssl"):
        raise RuntimeError(f"setting MAIL_SECURITY must be none, starttls or ssl, not {security!r}")
    return {
        "MAIL_HOST": os.environ.get("MAIL_HOST") or None,
        "MAIL_PORT": _int("MAIL_PORT", 465 if security == "ssl" else 587),
        "MAIL_SECURITY": security,
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Mottagning <mottagning@localhost>"),
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 30),
        "MAIL_OUTBOX_DIR": os.environ.get("MAIL_OUTBOX_DIR", str(instance_path / "outbox")),
    }


def scheduler_settings(database: str) -> dict[str, Any]:
    return {
        # In the web process by default only with SQLite (the embedded set-up); with
        # PostgreSQL run `flask --app wsgi scheduler` as its own process instead.
        "SCHEDULER_IN_PROCESS": _flag("SCHEDULER_IN_PROCESS", database.startswith("sqlite")),
        "SWEEP_HOUR": _int("SWEEP_HOUR", 6),
        "DELIVERY_INTERVAL_MINUTES": _int("DELIVERY_INTERVAL_MINUTES", 5),
        "ESCALATION_BUSINESS_DAYS": _int("ESCALATION_BUSINESS_DAYS", 5),
    }


def default_settings(instance_path: Path) -> dict[str, Any]:
    database = database_url(instance_path)
    return {
        **mail_settings(instance_path),
        **scheduler_settings(database),
        "SECRET_KEY": secret_key(instance_path),
        # Public address of the app, for links made outside a request (CLI, e-mail).
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        "SQLALCHEMY_DATABASE_URI": database,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "WORKFLOWS_DIR": os.environ.get("WORKFLOWS_DIR", str(PROJECT_ROOT / "workflows")),
        "RATES_DIR": os.environ.get("RATES_DIR", str(PROJECT_ROOT / "rates")),
        "BABEL_DEFAULT_LOCALE": "sv",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Stockholm",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "LANGUAGES": ("sv", "en"),
        "API_PAGE_SIZE_MAX": 200,
        "JSON_SORT_KEYS": False,
        # Signed in users are signed out after this many minutes without a request.
        "IDLE_TIMEOUT_MINUTES": int(os.environ.get("IDLE_TIMEOUT_MINUTES", "30")),
        # Set SESSION_COOKIE_SECURE=1 when served over HTTPS (it should be, in production).
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "") == "1",
    }
