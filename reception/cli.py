"""Command-line interface: `flask --app wsgi <command>`."""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import func, select

from reception import demo
from reception.engine.definitions import DefinitionError, WorkflowRegistry, load_directory
from reception.extensions import db
from reception.models import ApiToken, Household, Notification
from reception.models.tenancy import system, tenant
from reception.reminders import scheduler
from reception.services import (
    accounts,
    calendar_feeds,
    notifications,
    passwords,
    reminders,
    tokens,
)
from reception.services.errors import ServiceError
from reception.timeutil import today

workflows_cli = AppGroup("workflows", help="Workflow definitions.")
reminders_cli = AppGroup("reminders", help="Reminders, notifications and their e-mail.")
users_cli = AppGroup("users", help="Municipalities, users and API tokens.")


def _fail(exc: ServiceError) -> None:
    field = f" ({exc.field})" if exc.field else ""
    raise click.ClickException(f"{exc.message}{field}")


@click.command("init-db")
def init_db() -> None:
    """Create or upgrade the database to the current schema (Alembic)."""
    upgrade()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("demo")
def load_demo() -> None:
    """Load fictitious demo municipalities, users and households (idempotent)."""
    try:
        lines = demo.load(today())
    except ServiceError as exc:
        _fail(exc)
    if not lines:
        click.echo("Demo data is already loaded.")
        return
    click.echo("Demo users:")
    for line in lines:
        click.echo(f"  {line}")
    click.echo(
        f"Sign in at http://127.0.0.1:5000/login with any of these e-mail addresses and the\n"
        f"demo password (for the demo only, never in production):  {demo.DEMO_PASSWORD}"
    )
    user = accounts.user_by_email(demo.BRACKE_USERS[0].email)
    with tenant(db.session, user.municipality_id):
        _token, raw = tokens.create_token(user, "demo")
    click.echo(f"API token for {user.email} (shown once):\n  {raw}")
    click.echo(f"  curl -H 'Authorization: Bearer {raw}' http://127.0.0.1:5000/api/v1/households")


@workflows_cli.command("validate")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
def validate_workflows(directory: str | None) -> None:
    """Validate every definition (default: the configured workflows directory)."""
    path = Path(directory or current_app.config["WORKFLOWS_DIR"])
    try:
        registry = load_directory(path)
    except DefinitionError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    for definition in registry.all():
        click.echo(
            f"ok  {definition.key} v{definition.version}: {len(definition.tasks)} tasks "
            f"({definition.source_file})"
        )
    if directory is None:
        _check_versions_in_use(registry)


def _check_versions_in_use(registry: WorkflowRegistry) -> None:
    with system(db.session):
        used = db.session.execute(
            select(Household.workflow_key, Household.workflow_version).distinct()
        ).all()
    missing = [f"{key} v{version}" for key, version in used if not registry.has(key, version)]
    if missing:
        listed = ", ".join(missing)
        click.echo(f"error: households use versions no file defines: {listed}", err=True)
        sys.exit(1)


@workflows_cli.command("list")
def list_workflows() -> None:
    """List the loaded definitions."""
    for definition in current_app.extensions["workflows"].all():
        click.echo(f"{definition.key} v{definition.version}  {definition.title.sv}")


@users_cli.command("create-municipality")
@click.option("--code", required=True, help="Kommunkod, four digits.")
@click.option("--name", required=True)
def create_municipality(code: str, name: str) -> None:
    try:
        municipality = accounts.create_municipality(code, name)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Created {municipality.name} ({municipality.code}).")


@users_cli.command("create")
@click.option("--municipality", "code", required=True, help="Kommunkod of the user's municipality.")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(["coordinator", "manager", "finance", "admin"]),
)
@click.option("--locale", default="sv", type=click.Choice(["sv", "en"]))
def create_user(code: str, email: str, name: str, roles: tuple[str, ...], locale: str) -> None:
    """Create a user in a municipality."""
    try:
        municipality = accounts.municipality_by_code(code)
        user = accounts.create_user(municipality, email, name, list(roles), locale)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Created {user.email} ({user.roles}) in {municipality.name}.")


@users_cli.command("set-password")
@click.option("--email", required=True)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input (for scripts) instead of prompting.",
)
def set_password(email: str, password_stdin: bool) -> None:
    """Set a user's password for signing in to the web pages."""
    try:
        user = accounts.user_by_email(email)
    except ServiceError as exc:
        _fail(exc)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        with tenant(db.session, user.municipality_id):
            passwords.set_password(user, password)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Password set for {user.email}.")


@users_cli.command("token")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", default="api", show_default=True, help="What the token is for.")
def create_token(email: str, name: str) -> None:
    """Create an API bearer token; it is printed once and only its hash is kept."""
    try:
        user = accounts.user_by_email(email)
    except ServiceError as exc:
        _fail(exc)
    with tenant(db.session, user.municipality_id):
        _token, raw = tokens.create_token(user, name)
    click.echo(raw)


@users_cli.command("revoke-token")
@click.argument("prefix")
def revoke_token(prefix: str) -> None:
    """Revoke the token whose listing prefix is PREFIX (e.g. mtg_AbCdEfGh)."""
    with system(db.session):
        token = db.session.scalar(select(ApiToken).where(ApiToken.prefix == prefix))
        if token is None:
            raise click.ClickException(f"No token with prefix {prefix}.")
        tokens.revoke(token)
    click.echo(f"Revoked {prefix}.")


@users_cli.command("calendar-feed")
@click.option("--email", required=True)
def create_calendar_feed(email: str) -> None:
    """Create (or replace) the user's secret calendar-feed URL; printed once."""
    try:
        user = accounts.user_by_email(email)
    except ServiceError as exc:
        _fail(exc)
    base = current_app.config["BASE_URL"]
    with tenant(db.session, user.municipality_id):
        raw = calendar_feeds.create_feed(user)
    click.echo(f"{base.rstrip('/')}/feeds/{raw}.ics")


@users_cli.command("revoke-calendar-feed")
@click.option("--email", required=True)
def revoke_calendar_feed(email: str) -> None:
    """Revoke the user's calendar feed: its URL stops working at once."""
    try:
        user = accounts.user_by_email(email)
    except ServiceError as exc:
        _fail(exc)
    with tenant(db.session, user.municipality_id):
        had = calendar_feeds.revoke_feed(user)
    click.echo("Revoked." if had else "The user had no calendar feed.")


@users_cli.command("digest")
@click.option("--email", required=True)
@click.option("--on/--off", "enabled", required=True, help="Send the daily summary or not.")
def set_digest(email: str, enabled: bool) -> None:
    """Turn a user's daily digest e-mail on or off."""
    try:
        user = accounts.user_by_email(email)
    except ServiceError as exc:
        _fail(exc)
    with tenant(db.session, user.municipality_id):
        notifications.set_digest(user, enabled)
    click.echo(f"Daily digest {'on' if enabled else 'off'} for {user.email}.")


@reminders_cli.command("sweep")
@click.option(
    "--day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Sweep up to this day (default today); never later than today.",
)
def sweep_command(day: datetime | None) -> None:
    """Create every notification due up to the day that does not exist yet."""
    swept = day.date() if day else today()
    if swept > today():
        raise click.ClickException("--day cannot be later than today.")
    result = scheduler.sweep_now(swept)
    if result is None:
        raise click.ClickException("Another process is sweeping right now; nothing done.")
    click.echo(f"Swept up to {swept}: {result.total} notifications created.")
    for kind, count in result.created.items():
        if count:
            click.echo(f"  {kind}: {count}")


@reminders_cli.command("deliver")
def deliver_command() -> None:
    """Send the undelivered notifications by e-mail (or into the outbox directory)."""
    result = scheduler.deliver_now()
    click.echo(f"{result.sent} sent, {result.failed} failed.")


@reminders_cli.command("status")
def status_command() -> None:
    """The last completed sweep and the delivery queue."""
    with system(db.session):
        last = reminders.last_sweep()
        pending = db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.delivered_at.is_(None))
        )
        failing = db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.delivered_at.is_(None), Notification.last_error.is_not(None))
        )
    click.echo(f"Last completed sweep: {last or 'never'}")
    click.echo(f"Undelivered notifications: {pending} ({failing} with errors)")


@click.command("scheduler")
def scheduler_command() -> None:
    """Run the reminder scheduler in the foreground (production: its own process)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    click.echo("Scheduler running (Ctrl+C stops it).")
    scheduler.run_blocking(current_app._get_current_object())  # type: ignore[attr-defined]


def register_cli(app: Flask) -> None:
    from reception.finance_cli import rates_cli, reimbursements_cli
    from reception.households_cli import households_cli

    for command in (
        init_db,
        load_demo,
        workflows_cli,
        users_cli,
        households_cli,
        rates_cli,
        reimbursements_cli,
        reminders_cli,
        scheduler_command,
    ):
        app.cli.add_command(command)
