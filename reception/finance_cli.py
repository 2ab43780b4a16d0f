"""Finance commands: `flask --app wsgi rates …` and `flask --app wsgi reimbursements …`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from reception.engine.rates import MissingRateYearError, RateBook, RateError, Settlement, load_rates
from reception.extensions import db
from reception.models import Municipality
from reception.models.tenancy import system, tenant
from reception.services import accounts, reimbursements
from reception.services.errors import ServiceError

rates_cli = AppGroup("rates", help="Reimbursement rates (schablonbelopp) under RATES_DIR.")
reimbursements_cli = AppGroup("reimbursements", help="Expected reimbursements.")


def _kr(amount: int | None) -> str:
    return "-" if amount is None else f"{amount:,}".replace(",", " ") + " kr"


@rates_cli.command("validate")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def validate_rates(directory: str | None) -> None:
    """Check every rate file in DIRECTORY (default: the configured RATES_DIR).

    Validate a copy with next year's file before putting it in place: the app refuses to
    start with an invalid rates directory.
    """
    path = Path(directory or current_app.config["RATES_DIR"])
    try:
        book = load_rates(path)
    except RateError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"ok  {path}")
    click.echo(f"    establishment: {', '.join(map(str, book.establishment_years))}")
    click.echo(f"    initial cost: {', '.join(map(str, book.initial_cost_years))}")
    click.echo(f"    temporary protection: {', '.join(map(str, book.temporary_protection_years))}")
    plan = book.instalments
    steps = ", ".join(f"{i.months_after_reception}:{i.share}" for i in plan.instalments)
    click.echo(f"    instalments ({plan.status}): {steps}")


@rates_cli.command("show")
@click.argument("year", type=click.IntRange(2000, 2100))
def show_rates(year: int) -> None:
    """Show the amounts that apply to people received (or housed) in YEAR."""
    book: RateBook = current_app.extensions["rates"]
    try:
        est = book.establishment(year)
        click.echo(
            f"Establishment schablon {est.year}: {_kr(est.under_age_limit_sek)} under "
            f"{est.age_limit} years, {_kr(est.at_or_over_age_limit_sek)} from {est.age_limit}"
        )
    except MissingRateYearError as exc:
        click.echo(f"Establishment schablon: {exc}")
    try:
        cost = book.initial_cost(year)
        click.echo(
            f"Initial-cost schablon {cost.year} (received from {cost.reception_from}, "
            f"prisbasbelopp {_kr(cost.prisbasbelopp_sek)}):"
        )
        for settlement in Settlement:
            for group, percent in ((g, p) for (s, g), p in cost.percent.items() if s == settlement):
                click.echo(
                    f"  {settlement.value:13} {group.value:22} "
                    f"{percent if percent is not None else '-':>6} %  "
                    f"{_kr(cost.amount(settlement, group))}"
                )
    except MissingRateYearError as exc:
        click.echo(f"Initial-cost schablon: {exc}")
    try:
        tp = book.temporary_protection(year)
        click.echo(
            f"Temporary protection (file {tp.year}): {_kr(tp.place_sek)} per place, "
            f"{_kr(tp.move_in_sek)} per move-in, {_kr(tp.daily_adult_sek)}/day adult, "
            f"{_kr(tp.daily_child_sek)}/day child; permits through {tp.permits_valid_through}"
        )
    except MissingRateYearError as exc:
        click.echo(f"Temporary protection: {exc}")


@reimbursements_cli.command("recompute")
@click.option("--municipality", "code", help="Kommunkod; default: every municipality.")
def recompute(code: str | None) -> None:
    """Recompute every household's expected payments, e.g. after adding a year's rates."""
    with system(db.session):
        if code:
            try:
                municipalities = [accounts.municipality_by_code(code)]
            except ServiceError as exc:
                raise click.ClickException(exc.message) from exc
        else:
            municipalities = list(db.session.scalars(db.select(Municipality)))
    for municipality in municipalities:
        with tenant(db.session, municipality.id):
            summary = reimbursements.recompute_all(None)
        click.echo(
            f"{municipality.name}: {summary.households} households, "
            f"{summary.changed_households} changed, {summary.changes} payment changes"
        )
        for gap in summary.gaps:
            click.echo(f"  missing rates: {gap}")
