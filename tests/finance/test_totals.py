"""No float on a money path: totals over 10 000 households are exact.

The pure calculator runs for 10 000 households here; the same through the database runs
for a few hundred (bench/reimbursements_10k.py does all 10 000 through the services).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from reception.engine.rates import RateBook, Settlement
from reception.engine.reimbursement import (
    establishment_schedule,
    initial_cost_payment,
    sum_by_month,
)
from reception.extensions import db
from reception.models import ExpectedPayment, Household, Person
from reception.services import reimbursements

ADULT_2026 = 165000 + 20661
CHILD_2026 = 165000 + 10330


def synthetic(count: int, seed: int = 2026) -> list[tuple[date, list[date]]]:
    """Households received in 2026: two adults (25-50) and 0-4 children (0-14)."""
    rng = random.Random(seed)
    result = []
    for _ in range(count):
        received = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        births = [received - timedelta(days=rng.randrange(25 * 366, 50 * 365)) for _ in range(2)]
        births += [
            received - timedelta(days=rng.randrange(0, 14 * 365)) for _ in range(rng.randrange(5))
        ]
        result.append((received, births))
    return result


def hand_total(households: list[tuple[date, list[date]]]) -> int:
    adults = sum(2 for _ in households)
    children = sum(len(births) - 2 for _received, births in households)
    return adults * ADULT_2026 + children * CHILD_2026


def test_10000_households_through_the_calculator_are_exact(app) -> None:
    rates: RateBook = app.extensions["rates"]
    households = synthetic(10_000)
    payments = []
    for received, births in households:
        for birth in births:
            payments += establishment_schedule(None, birth, received, rates)
            payments += initial_cost_payment(None, birth, received, Settlement.ASSIGNED, rates)
    assert all(type(p.amount_sek) is int for p in payments)
    months = sum_by_month(payments)
    assert all(type(v) is int for v in months.values())
    assert sum(months.values()) == hand_total(households)
    assert sum(months.values()) > 2**31  # past a 32-bit integer: BigInteger is needed


@pytest.mark.usefixtures("frozen_today")
def test_hundreds_of_households_through_the_ledger_are_exact(in_tenant, coordinator) -> None:
    households = synthetic(300, seed=7)
    for index, (received, births) in enumerate(households):
        household = Household(
            reference=f"T {index}",
            workflow_key="settlement-reception-centre",
            workflow_version=1,
            assignment_date=received - timedelta(days=30),
            latest_reception_date=received,
            reception_date=received,
        )
        household.members = [
            Person(given_name="A", family_name=str(n), birth_date=birth)
            for n, birth in enumerate(births)
        ]
        db.session.add(household)
        db.session.flush()
        reimbursements.refresh(household, "test", None)
    db.session.commit()

    forecast = [m for year in (2026, 2027, 2028) for m in reimbursements.forecast(year)]
    assert all(type(m.amount_sek) is int for m in forecast)
    assert sum(m.amount_sek for m in forecast) == hand_total(households)
    stored = db.session.scalars(select(ExpectedPayment.amount_sek)).all()
    assert all(type(v) is int for v in stored)
