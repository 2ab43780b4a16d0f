"""Quotas per year: the fördelningstal (temporary protection) and the kommuntal (Settlement Act).

Managers see each allocated figure against what has been used:

- **fördelningstal**: places for people with temporary protection housed by the municipality
  (the figure itself is finance's ``AllocationYear.tp_places``, set through
  services/reimbursements.py because it also drives the per-place payment). *Used* counts
  the people who moved into the municipality's housing during the year; *housed* counts
  everyone who lived there at some time in the year, including those who moved in earlier.
  Seed 000 L603 ("nine, of whom six already live in the municipality") reads like the
  second; the brief defines the first; both are shown.
- **kommuntal**: people to be assigned under the Settlement Act. *Received* counts people
  in assigned households (from a reception centre, resettled, or continuing after
  temporary protection) whose assignment date is in the year; self-settled people do not
  count towards the kommuntal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import selectinload

from reception.extensions import db
from reception.models import Household, SettlementQuota, User
from reception.services import protection_rules, reimbursements
from reception.services.validation import Input
from reception.services.workflows import registry

ASSIGNED_VARIANTS = ("reception_centre", "resettled")


@dataclass(frozen=True)
class AllocationUse:
    year: int
    allocated: int | None
    used: int  # moved into the municipality's housing during the year
    housed: int  # lived in the municipality's housing at some time in the year


@dataclass(frozen=True)
class SettlementUse:
    year: int
    allocated: int | None
    persons: int
    households: int
    from_temporary_protection: int  # of the persons


@dataclass(frozen=True)
class QuotaYear:
    year: int
    fordelningstal: AllocationUse
    kommuntal: SettlementUse


def _keys(variants: tuple[str, ...]) -> list[str]:
    return sorted({d.key for d in registry().all() if d.variant in variants})


def _households(variants: tuple[str, ...], *criteria: ColumnElement[bool]) -> list[Household]:
    query = (
        select(Household)
        .where(Household.workflow_key.in_(_keys(variants)), *criteria)
        .options(selectinload(Household.members))
    )
    return list(db.session.scalars(query))


def allocation_use(year: int) -> AllocationUse:
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    protection_end = protection_rules.protection_end()
    used = housed = 0
    for household in _households((protection_rules.HOUSING_VARIANT,), Household.move_in_date < end):
        move_in = household.move_in_date
        assert move_in is not None
        for person in household.members:
            if person.birth_date > move_in:
                continue  # born in the housing: nobody moved in
            stops = [household.move_out_date, person.registration_date, protection_end]
            left = min(d for d in stops if d is not None)
            if left > max(move_in, start):
                housed += 1
            if move_in >= start:
                used += 1
    allocation = reimbursements.get_allocation(year)
    return AllocationUse(year, allocation.tp_places if allocation else None, used, housed)


def settlement_use(year: int) -> SettlementUse:
    households = _households(
        ASSIGNED_VARIANTS,
        Household.assignment_date >= date(year, 1, 1),
        Household.assignment_date < date(year + 1, 1, 1),
    )
    persons = sum(len(h.members) for h in households)
    continued = sum(len(h.members) for h in households if h.previous_household_id is not None)
    quota = get_kommuntal(year)
    return SettlementUse(
        year, quota.persons if quota else None, persons, len(households), continued
    )


def quota_year(year: int) -> QuotaYear:
    return QuotaYear(year, allocation_use(year), settlement_use(year))


def checked_year(year: int) -> int:
    """The year, or a ValidationError naming the field when it is out of range."""
    return reimbursements.read_year({"year": year})


def get_kommuntal(year: int) -> SettlementQuota | None:
    return db.session.scalar(select(SettlementQuota).where(SettlementQuota.year == year))


def set_kommuntal(year: int, raw: Mapping[str, Any], actor: User | None) -> SettlementQuota:
    """Record the year's kommuntal (people to receive under the Settlement Act)."""
    checked = checked_year(year)
    data = Input(raw)
    persons = data.integer("persons", required=True, minimum=0)
    note = data.text("note", max_length=300)
    data.raise_if_errors()
    assert persons is not None
    quota = get_kommuntal(checked)
    if quota is None:
        quota = SettlementQuota(year=checked, persons=persons)
        db.session.add(quota)
    quota.persons = persons
    quota.note = note
    quota.updated_by_id = actor.id if actor else None
    db.session.commit()
    return quota
