"""Temporary protection (massflyktsdirektivet): the dates the workflows count from.

Pure functions, no Flask. Two dates matter beyond those a household records itself:

- the **end of protection**, stored as the *first day without protection*, the same meaning
  as ``protection_end`` in reimbursement.py: the municipality's scenario when a manager has
  set one, else the day after the permits' last day in the newest rate file (2027-03-04 is
  still a protected day, so the default end is 2027-03-05);
- the **day registration may be applied for** (folkbokföring): a number of months (data,
  ``registration_after_months``) after the permit, or after the samordningsnummer while the
  permit date is not recorded.
"""

from __future__ import annotations

from datetime import date, timedelta

from reception.engine.calendar import add_months


def protection_end(scenario_end: date | None, permits_valid_through: date) -> date:
    """First day without temporary protection."""
    if scenario_end is not None:
        return scenario_end
    return permits_valid_through + timedelta(days=1)


def last_protected_day(end: date) -> date:
    """The last day with protection, for people reading the date (``end`` − 1 day)."""
    return end - timedelta(days=1)


def registration_eligible_date(
    permit_date: date | None, samordningsnummer_date: date | None, months: int
) -> date | None:
    """First day registration may be applied for, or None while neither date is known.

    The law counts the year with the permit; the seed (000 L606) counts it from the
    samordningsnummer, which Migrationsverket gives with the permit. The permit date wins
    when both are known.
    """
    start = permit_date or samordningsnummer_date
    if start is None:
        return None
    return add_months(start, months)
