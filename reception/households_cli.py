"""Household commands: `flask --app wsgi households import FILE`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from reception.extensions import db
from reception.models import Municipality
from reception.models.tenancy import system, tenant
from reception.services import accounts
from reception.services.errors import ServiceError
from reception.services.household_import import ImportRejected, import_households
from reception.timeutil import today

households_cli = AppGroup("households", help="Households: bulk import.")


def _municipality(code: str | None) -> Municipality:
    with system(db.session):
        if code:
            try:
                return accounts.municipality_by_code(code)
            except ServiceError as exc:
                raise click.ClickException(exc.message) from exc
        municipalities = list(db.session.scalars(select(Municipality).limit(2)))
    if len(municipalities) != 1:
        raise click.ClickException("Give --municipality CODE: the database has several (or none).")
    return municipalities[0]


@households_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--municipality", "code", help="Kommunkod; needed when there are several.")
@click.option("--dry-run", is_flag=True, help="Check everything, save nothing.")
def import_command(file: Path, code: str | None, dry_run: bool) -> None:
    """Import open cases from a CSV or .xlsx FILE (docs/import.md): all rows or none."""
    municipality = _municipality(code)
    with tenant(db.session, municipality.id):
        try:
            result = import_households(file.name, file.read_bytes(), None, today(), dry_run=dry_run)
        except ImportRejected as exc:
            for problem in exc.problems:
                where = f"row {problem.row}" if problem.row is not None else "file"
                column = f", column {problem.column}" if problem.column else ""
                click.echo(f"{where}{column}: {problem.message}", err=True)
            click.echo(
                f"{file.name} was not imported: {len(exc.problems)} problems. Nothing was saved.",
                err=True,
            )
            sys.exit(1)
        except ServiceError as exc:
            field = f" ({exc.field})" if exc.field else ""
            raise click.ClickException(f"{exc.message}{field}") from exc
    verb = "Checked (dry run, nothing saved)" if result.dry_run else "Imported"
    click.echo(
        f"{verb} {file.name} into {municipality.name}: {result.households} households, "
        f"{result.persons} persons, {result.tasks} tasks, {result.payments} expected payments."
    )
