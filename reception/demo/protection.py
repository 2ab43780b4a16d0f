"""Demo households under temporary protection in Bräcke, at different stages.

Bräcke's fördelningstal 2026 is nine places, six of them already used by people living in
the municipality (seed 000 L603): the three housed families below are six people. One
person has been registered and continues in a settlement case. The kommuntal comes from
seed 000 L481-485, L538 (4 in 2025, 3 in 2026). Dates are relative to ``today``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from reception.demo.numbers import identity_number
from reception.extensions import db
from reception.models import Household, Task, User
from reception.services import households, quotas, tasks

KOMMUNTAL = {2025: 4, 2026: 3}


def _member(
    given: str, family: str, birth: date, permit: date, serial: int | None = None
) -> dict[str, Any]:
    member: dict[str, Any] = {
        "given_name": given,
        "family_name": family,
        "birth_date": birth.isoformat(),
        "permit_date": permit.isoformat(),
        "samordningsnummer_date": permit.isoformat(),
    }
    if serial is not None:
        member["personnummer"] = identity_number(birth, serial, coordination=True)
    return member


def _complete(household: Household, keys: tuple[str, ...], on: date, actor: User) -> None:
    for task in db.session.scalars(
        select(Task).where(Task.household_id == household.id, Task.key.in_(keys))
    ).all():
        if task.status in ("open", "waiting"):
            tasks.complete(task.id, {"completed_on": on.isoformat()}, actor, on)


def load(today: date, coordinator: User, manager: User) -> None:
    """Create the temporary-protection demo for the bound municipality."""
    d = lambda days: today - timedelta(days=days)  # noqa: E731 - reads as "days ago"

    for year, persons in KOMMUNTAL.items():
        quotas.set_kommuntal(year, {"persons": persons, "note": "seed 000"}, manager)

    # Moved in about three months ago; school and Swedish under way, registration next month.
    family = households.create_household(
        {
            "reference": "UA 2026/003",
            "workflow": "temporary-protection-housing",
            "assignment_date": d(110).isoformat(),
            "move_in_date": d(100).isoformat(),
            "coordinator_id": coordinator.id,
            "members": [
                _member("Olena", "Kovalenko", date(1988, 4, 12), d(340), 411),
                _member("Taras", "Kovalenko", date(2015, 5, 20), d(340), 412),
                _member("Daryna", "Kovalenko", date(2019, 9, 2), d(340), 413),
            ],
        },
        coordinator,
        d(110),
    )
    _complete(family, ("housing", "move_in", "permit_details"), d(100), coordinator)
    _complete(
        family, ("local_orientation", "school_enrolment", "sfi_application"), d(85), coordinator
    )

    # Assigned six weeks ago and moved in last month: the first steps are open.
    couple = households.create_household(
        {
            "reference": "UA 2026/004",
            "workflow": "temporary-protection-housing",
            "assignment_date": d(45).isoformat(),
            "move_in_date": d(30).isoformat(),
            "coordinator_id": coordinator.id,
            "members": [
                _member("Iryna", "Melnyk", date(1979, 11, 3), d(60), 421),
                _member("Andrii", "Melnyk", date(1976, 2, 14), d(60), 422),
            ],
        },
        coordinator,
        d(45),
    )
    _complete(couple, ("housing", "move_in"), d(30), coordinator)

    # Held the permit for more than a year: registered three weeks ago and moved on to a
    # settlement case (UA 2026/005 F1) linked to this one.
    registered = households.create_household(
        {
            "reference": "UA 2026/005",
            "workflow": "temporary-protection-housing",
            "assignment_date": d(130).isoformat(),
            "move_in_date": d(120).isoformat(),
            "coordinator_id": coordinator.id,
            "members": [_member("Mykola", "Shevchenko", date(1995, 7, 30), d(420), 431)],
        },
        coordinator,
        d(130),
    )
    _complete(
        registered, ("housing", "move_in", "permit_details", "sfi_application"), d(118), coordinator
    )
    person = registered.members[0]
    households.update_person(
        person.id,
        {
            "registration_date": d(21).isoformat(),
            "personnummer": identity_number(person.birth_date, 432),
        },
        coordinator,
        d(21),
    )

    # Living in their own flat in the municipality; no housing duty, no compensation.
    households.create_household(
        {
            "reference": "UA 2026/006",
            "workflow": "temporary-protection-own-housing",
            "assignment_date": d(20).isoformat(),
            "reception_date": d(14).isoformat(),
            "coordinator_id": coordinator.id,
            "members": [
                _member("Svitlana", "Bondarenko", date(1969, 1, 25), d(200), 441),
                _member("Oksana", "Bondarenko", date(2009, 6, 8), d(200), 442),
            ],
        },
        coordinator,
        d(20),
    )
