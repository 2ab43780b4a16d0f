"""Fictitious demo data: two municipalities, a user per role, households at every stage.

Dates are relative to `today` so the demo always shows work due now. Names are
invented; identity numbers are generated with valid check digits for the birth date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update

from reception.demo import finance, protection
from reception.demo.numbers import identity_number
from reception.extensions import db
from reception.models import Household, Municipality, Notification, NotificationKind, Task, User
from reception.models.tenancy import system, tenant
from reception.services import accounts, households, passwords, reminders, tasks
from reception.timeutil import utcnow

# Every demo user signs in with this; printed by `flask demo`. Demo data only.
DEMO_PASSWORD = "mottagning-demo"


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    roles: list[str]
    locale: str = "sv"


BRACKE_USERS = [
    DemoUser("amira.lind@bracke.example", "Amira Lind", ["coordinator"]),
    DemoUser("johan.berg@bracke.example", "Johan Berg", ["coordinator"]),
    DemoUser("karin.holm@bracke.example", "Karin Holm", ["manager"]),
    DemoUser("erik.sund@bracke.example", "Erik Sund", ["finance"], "en"),
    DemoUser("admin@bracke.example", "Systemförvaltare Bräcke", ["admin"]),
]
RAGUNDA_USERS = [
    DemoUser("lena.ostlund@ragunda.example", "Lena Östlund", ["coordinator", "manager"]),
]


def _years_ago(today: date, years: int, days: int = 0) -> date:
    try:
        born = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        born = today.replace(year=today.year - years, day=28)
    return born - timedelta(days=days)


def _member(given: str, family: str, birth: date, serial: int | None = None) -> dict[str, Any]:
    member: dict[str, Any] = {
        "given_name": given,
        "family_name": family,
        "birth_date": birth.isoformat(),
    }
    if serial is not None:
        member["personnummer"] = identity_number(birth, serial)
    return member


def _complete(household: Household, key: str, on: date, actor: User, person: int | None = None):
    query = select(Task).where(Task.household_id == household.id, Task.key == key)
    for task in db.session.scalars(query).all():
        if person is not None and task.person_id != household.members[person].id:
            continue
        if task.status in ("open", "waiting"):
            tasks.complete(task.id, {"completed_on": on.isoformat()}, actor, on)


def _register(household: Household, on: date, actor: User, serial_base: int) -> None:
    for index, person in enumerate(household.members):
        households.update_person(
            person.id,
            {
                "registration_date": on.isoformat(),
                "personnummer": identity_number(person.birth_date, serial_base + index),
            },
            actor,
            on,
        )


def load(today: date) -> list[str]:
    """Create the demo; returns lines describing how to sign in. Idempotent per municipality."""
    lines: list[str] = []
    if db.session.scalar(select(Municipality).where(Municipality.code == "2260")) is None:
        bracke = accounts.create_municipality("2260", "Bräcke kommun")
        users = _users(bracke, BRACKE_USERS)
        with tenant(db.session, bracke.id):
            _bracke_households(today, users[0], users[1])
            protection.load(today, users[0], users[2])
            finance.load(today, users[3])
        lines.append("Bräcke kommun (2260): " + ", ".join(u.email for u in users))
    if db.session.scalar(select(Municipality).where(Municipality.code == "2303")) is None:
        ragunda = accounts.create_municipality("2303", "Ragunda kommun")
        users = _users(ragunda, RAGUNDA_USERS)
        with tenant(db.session, ragunda.id):
            _ragunda_households(today, users[0])
        lines.append("Ragunda kommun (2303): " + ", ".join(u.email for u in users))
    if lines:
        _notify(today)
    return lines


def _notify(today: date) -> None:
    """Today's sweep, so the demo users find reminders, overdue notices and escalations in
    their notification lists at once; what has been overdue for over a week counts as read."""
    reminders.run_sweep(today)
    with system(db.session):
        db.session.execute(
            update(Notification)
            .where(
                Notification.for_date < today - timedelta(days=7),
                Notification.kind != NotificationKind.DIGEST.value,
            )
            .values(read_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


def _users(municipality: Municipality, specs: list[DemoUser]) -> list[User]:
    users = [accounts.create_user(municipality, u.email, u.name, u.roles, u.locale) for u in specs]
    with tenant(db.session, municipality.id):
        for user in users:
            passwords.set_password(user, DEMO_PASSWORD)
    return users


def _create(data: dict[str, Any], actor: User, on: date) -> Household:
    return households.create_household(data, actor, on)


def _bracke_households(today: date, amira: User, johan: User) -> None:
    d = lambda days: today - timedelta(days=days)  # noqa: E731 - reads as "days ago"

    # Arrived a month ago from a reception centre; first steps done, school and SFI under way.
    h = _create(
        {
            "reference": "KS 2026/101",
            "workflow": "settlement-reception-centre",
            "assignment_date": d(62).isoformat(),
            "reception_date": d(30).isoformat(),
            "coordinator_id": amira.id,
            "members": [
                _member("Rania", "Al-Hassan", _years_ago(today, 35, 40)),
                _member("Omar", "Al-Hassan", _years_ago(today, 38, 120)),
                _member("Lina", "Al-Hassan", _years_ago(today, 12, 10)),
                _member("Yusuf", "Al-Hassan", _years_ago(today, 4, 200)),
            ],
        },
        amira,
        d(62),
    )
    _complete(h, "housing", d(33), amira)
    _complete(h, "skatteverket_visit", d(25), amira)
    _complete(h, "social_services_meeting", d(24), amira)

    # Resettled refugees arriving soon: reception date set, preparations open.
    _create(
        {
            "reference": "KS 2026/087",
            "workflow": "settlement-resettled",
            "assignment_date": d(50).isoformat(),
            "reception_date": (today + timedelta(days=6)).isoformat(),
            "coordinator_id": johan.id,
            "members": [
                _member("Semhar", "Tesfaye", _years_ago(today, 29, 15)),
                _member("Dawit", "Tesfaye", _years_ago(today, 33, 300)),
                _member("Hanna", "Tesfaye", _years_ago(today, 7, 90)),
                _member("Mussie", "Tesfaye", _years_ago(today, 2, 30)),
                _member("Ruth", "Tesfaye", _years_ago(today, 0, 150)),
            ],
        },
        johan,
        d(50),
    )

    # Assigned seven weeks ago, no housing yet: the housing deadline is close.
    _create(
        {
            "reference": "KS 2026/095",
            "workflow": "settlement-reception-centre",
            "assignment_date": d(52).isoformat(),
            "coordinator_id": amira.id,
            "members": [
                _member("Farid", "Rahimi", _years_ago(today, 24, 60)),
                _member("Zahra", "Rahimi", _years_ago(today, 22, 5)),
            ],
        },
        amira,
        d(52),
    )

    # Single adult, registered with a personnummer: civic orientation is due.
    h = _create(
        {
            "reference": "KS 2026/064",
            "workflow": "settlement-reception-centre",
            "assignment_date": d(210).isoformat(),
            "reception_date": d(170).isoformat(),
            "coordinator_id": johan.id,
            "members": [_member("Ahmad", "Noori", _years_ago(today, 31, 75))],
        },
        johan,
        d(210),
    )
    _complete(h, "housing", d(172), johan)
    _complete(h, "skatteverket_visit", d(160), johan)
    _register(h, d(100), johan, 231)

    # Self-settled couple who came to the office last week.
    _create(
        {
            "reference": "KS 2026/118",
            "workflow": "self-settled",
            "assignment_date": d(9).isoformat(),
            "reception_date": d(9).isoformat(),
            "coordinator_id": amira.id,
            "members": [
                _member("Nour", "Haddad", _years_ago(today, 41, 3)),
                _member("Samir", "Haddad", _years_ago(today, 44, 180)),
            ],
        },
        amira,
        d(9),
    )

    # Received over a year ago: most done, a few tasks overdue.
    h = _create(
        {
            "reference": "KS 2025/311",
            "workflow": "settlement-resettled",
            "assignment_date": d(460).isoformat(),
            "reception_date": d(420).isoformat(),
            "coordinator_id": johan.id,
            "members": [
                _member("Amani", "Mukamana", _years_ago(today, 45, 20)),
                _member("Jean", "Habimana", _years_ago(today, 16, 44)),
                _member("Grace", "Habimana", _years_ago(today, 10, 2)),
            ],
        },
        johan,
        d(460),
    )
    for key, days in (
        ("health_examination", 430),
        ("first_day_food", 422),
        ("airport_pickup", 420),
        ("housing", 425),
        ("skatteverket_visit", 410),
        ("school_enrolment", 400),
        ("sfi_application", 398),
    ):
        _complete(h, key, d(days), johan)
    _register(h, d(360), johan, 412)


def _ragunda_households(today: date, lena: User) -> None:
    _create(
        {
            "reference": "RK 2026-014",
            "workflow": "settlement-reception-centre",
            "assignment_date": (today - timedelta(days=20)).isoformat(),
            "coordinator_id": lena.id,
            "members": [
                _member("Mohammed", "Osman", _years_ago(today, 27, 33)),
                _member("Asha", "Osman", _years_ago(today, 25, 100)),
                _member("Ayaan", "Osman", _years_ago(today, 1, 40)),
            ],
        },
        lena,
        today - timedelta(days=20),
    )
