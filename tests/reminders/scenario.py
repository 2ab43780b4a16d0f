"""The hand-worked scenario shared by the reminder tests.

Bräcke; one coordinator (all households), one manager; two households on the workflow
settlement-reception-centre with one adult each and no reception date yet, so only the
tasks anchored on the latest reception date have due dates:

Household A, assigned Mon 2026-03-02 -> latest reception date Sat 2026-05-02
  housing         due 2026-05-02, reminder 14 days -> reminder on 04-18
  first_day_food  due 2026-04-30 (05-01 is May Day: rolled back to Thu 04-30), reminder 3 -> 04-27
  alerts: latest reception date in 14 days on 04-18, in 7 days on 04-25
  overdue: food on 05-01, housing on 05-03
  escalation (5 working days overdue): food 04-30 + 5 wd (05-01 holiday) = Fri 05-08;
                                       housing 05-02 + 5 wd = Fri 05-08
Household B, assigned Mon 2026-03-16 -> latest reception date Sat 2026-05-16
  alerts on 05-02 (14 days) and 05-09 (7 days)
  first_day_food  due Fri 05-15, reminder on 05-12, done on 05-13: nothing more
  housing         due 05-16; waiting on an authority from 04-25 to 05-20: no reminder (its
                  day 05-02 falls in the wait and the task is overdue when resumed), no
                  overdue notice while waiting; on resuming 05-20 the overdue notice; the
                  escalation on 05-16 + 5 wd = Fri 05-22
Digest: the coordinator has a task due within 3 days from 04-27 (A's food) until the end:
  one digest each day 04-27 .. 06-30 = 65.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from reception.extensions import db
from reception.models import Household, Municipality, Notification, Task, User
from reception.models.tenancy import system, tenant
from reception.services import accounts, households, tasks

START = date(2026, 3, 2)
END = date(2026, 6, 30)  # START + 120 days


@dataclass
class World:
    municipality: Municipality
    coordinator: User
    manager: User
    a: Household | None = None
    b: Household | None = None

    def task(self, household: Household, key: str) -> Task:
        with tenant(db.session, self.municipality.id):
            return db.session.scalars(
                select(Task).where(Task.household_id == household.id, Task.key == key)
            ).one()


def make_world(municipality: Municipality, coordinator: User) -> World:
    manager = accounts.create_user(
        municipality, "chef@bracke.example", "Chef Chefsson", ["manager"], "en"
    )
    return World(municipality, coordinator, manager)


def register(world: World, reference: str, assigned: date, today: date) -> Household:
    body: dict[str, Any] = {
        "reference": reference,
        "workflow": "settlement-reception-centre",
        "assignment_date": assigned.isoformat(),
        "coordinator_id": world.coordinator.id,
        "members": [{"given_name": "Amal", "family_name": reference, "birth_date": "1990-06-01"}],
    }
    with tenant(db.session, world.municipality.id):
        return households.create_household(body, None, today)


def act(world: World, day: date) -> None:
    """What the coordinator does on `day` in the scenario."""
    with tenant(db.session, world.municipality.id):
        if day == date(2026, 3, 2):
            world.a = register(world, "A", date(2026, 3, 2), day)
        elif day == date(2026, 3, 16):
            world.b = register(world, "B", date(2026, 3, 16), day)
        elif day == date(2026, 4, 25):
            assert world.b is not None
            housing = world.task(world.b, "housing")
            tasks.wait_on_authority(housing.id, {"waiting_on": "Migrationsverket"}, None, day)
        elif day == date(2026, 5, 13):
            assert world.b is not None
            food = world.task(world.b, "first_day_food")
            tasks.complete(food.id, {"completed_on": day.isoformat()}, None, day)
        elif day == date(2026, 5, 20):
            assert world.b is not None
            tasks.resume(world.task(world.b, "housing").id, None)


def expected(world: World) -> dict[tuple[str, int, date, int], date]:
    """(kind, subject id, for date, recipient) -> the day the sweep creates it."""
    assert world.a is not None and world.b is not None
    c, m = world.coordinator.id, world.manager.id
    a_housing = world.task(world.a, "housing").id
    a_food = world.task(world.a, "first_day_food").id
    b_housing = world.task(world.b, "housing").id
    b_food = world.task(world.b, "first_day_food").id
    d = date
    rows = {
        ("reception_deadline_14", world.a.id, d(2026, 5, 2), c): d(2026, 4, 18),
        ("reminder", a_housing, d(2026, 5, 2), c): d(2026, 4, 18),
        ("reception_deadline_7", world.a.id, d(2026, 5, 2), c): d(2026, 4, 25),
        ("reminder", a_food, d(2026, 4, 30), c): d(2026, 4, 27),
        ("overdue", a_food, d(2026, 4, 30), c): d(2026, 5, 1),
        ("overdue", a_housing, d(2026, 5, 2), c): d(2026, 5, 3),
        ("escalation", a_food, d(2026, 4, 30), m): d(2026, 5, 8),
        ("escalation", a_housing, d(2026, 5, 2), m): d(2026, 5, 8),
        ("reception_deadline_14", world.b.id, d(2026, 5, 16), c): d(2026, 5, 2),
        ("reception_deadline_7", world.b.id, d(2026, 5, 16), c): d(2026, 5, 9),
        ("reminder", b_food, d(2026, 5, 15), c): d(2026, 5, 12),
        ("overdue", b_housing, d(2026, 5, 16), c): d(2026, 5, 20),
        ("escalation", b_housing, d(2026, 5, 16), m): d(2026, 5, 22),
    }
    day = d(2026, 4, 27)
    while day <= END:
        rows[("digest", c, day, c)] = day
        day = day.fromordinal(day.toordinal() + 1)
    return rows


def notification_keys() -> set[tuple[str, int, date, int]]:
    with system(db.session):
        return {
            (n.kind, n.subject_id, n.for_date, n.recipient_id)
            for n in db.session.scalars(select(Notification))
        }
