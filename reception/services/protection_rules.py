"""Temporary protection: the dates and payments a household's facts give.

Kept apart from services/protection.py (which changes things and recomputes) so that the
checklist and the reimbursement ledger can read these without an import cycle.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from flask import current_app
from sqlalchemy import select

from reception.engine import protection as rules
from reception.engine import reimbursement as calc
from reception.engine.rates import MissingRateYearError, RateBook
from reception.extensions import db
from reception.models import Household, Person, ProtectionEndScenario
from reception.services.workflows import definition_for

TP_VARIANTS = ("temporary_protection_housing", "temporary_protection_own_housing")
HOUSING_VARIANT = "temporary_protection_housing"


def _rate_book() -> RateBook:
    return current_app.extensions["rates"]


def is_temporary_protection(household: Household) -> bool:
    return definition_for(household.workflow_key, household.workflow_version).variant in TP_VARIANTS


def current_scenario() -> ProtectionEndScenario | None:
    """The bound municipality's newest end-of-protection decision, if any."""
    return db.session.scalar(
        select(ProtectionEndScenario).order_by(
            ProtectionEndScenario.set_at.desc(), ProtectionEndScenario.id.desc()
        )
    )


def scenario_end() -> date | None:
    """The municipality's own first day without protection, or None to follow the rates."""
    held: dict[str, date | None] | None = db.session.info.get(_HELD)
    if held is not None and _END in held:
        return held[_END]
    scenario = current_scenario()
    end = scenario.protection_end if scenario else None
    if held is not None:
        held[_END] = end
    return end


_HELD = "protection_scenario_end"  # session.info: {} until read, then {_END: the end}
_END = "end"


@contextmanager
def scenario_held() -> Iterator[None]:
    """Read the scenario once for a batch of households that changes no scenario.

    Registering thousands of households asks for the first day without protection for
    each temporary-protection one; within this block it is the same answer each time. It is
    read when first asked: a batch without temporary protection never asks.
    """
    db.session.info[_HELD] = {}
    try:
        yield
    finally:
        db.session.info.pop(_HELD, None)


def protection_end(rates: RateBook | None = None) -> date:
    """First day without protection for the bound municipality."""
    book = rates or _rate_book()
    return rules.protection_end(scenario_end(), book.protection_valid_through)


def registration_eligible_date(person: Person, rates: RateBook | None = None) -> date | None:
    book = rates or _rate_book()
    return rules.registration_eligible_date(
        person.permit_date, person.samordningsnummer_date, book.registration_after_months
    )


def housing_payments(
    household: Household, rates: RateBook
) -> tuple[list[calc.ExpectedPayment], list[str]]:
    """Move-in payment and daily compensation for everyone who lived in the housing.

    Every member counts, including those already registered: they were paid for up to the
    day before their registration. A child born after the move-in is counted from birth and
    brings no move-in payment (nobody moved in). Returns the payments, and the people who
    could not be computed (no rates for the year).
    """
    payments: list[calc.ExpectedPayment] = []
    gaps: list[str] = []
    move_in = household.move_in_date
    if move_in is None:
        return payments, gaps
    end = scenario_end()
    for person in household.members:
        try:
            if person.birth_date > move_in:
                payments += calc.tp_daily_payments(
                    person.id,
                    person.birth_date,
                    person.birth_date,
                    rates,
                    move_out=household.move_out_date,
                    registered=person.registration_date,
                    protection_end=end,
                )
                continue
            payments += calc.tp_person_payments(
                person.id,
                person.birth_date,
                move_in,
                rates,
                move_out=household.move_out_date,
                registered=person.registration_date,
                protection_end=end,
            )
        except MissingRateYearError as exc:
            gaps.append(f"{person.full_name}: {exc}")
    return payments, gaps
