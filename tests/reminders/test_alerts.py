"""Hard-date alerts: end of temporary protection and of the civic-orientation duty."""

from __future__ import annotations

from datetime import date

import time_machine
from sqlalchemy import select

from reception.extensions import db
from reception.models import Municipality, Notification, User
from reception.models.tenancy import system, tenant
from reception.reminders import rules
from reception.reminders.sweep import SweepSettings, sweep
from reception.services import households
from reception.services.reminders import protection_end
from tests.reminders.scenario import World, register


def created(kind_prefix: str) -> list[tuple[str, date]]:
    with system(db.session):
        rows = db.session.execute(
            select(Notification.kind, Notification.for_date).where(
                Notification.kind.startswith(kind_prefix)
            )
        ).all()
    return sorted((k, d) for k, d in rows)


def test_protection_end_comes_from_the_rate_files(app_ctx: object) -> None:
    assert protection_end(1) == date(2027, 3, 4)


def test_protection_end_alerts_three_and_one_month_before(
    municipality: Municipality, coordinator: User
) -> None:
    world = World(municipality, coordinator, coordinator)
    with time_machine.travel("2026-09-01 09:00 +02:00", tick=False):
        household = register(world, "UA 1", date(2026, 9, 1), date(2026, 9, 1))
    settings = SweepSettings(
        protection_end={municipality.id: date(2027, 3, 4)},
        protected_workflows=frozenset({"settlement-reception-centre"}),
    )
    for day in (date(2026, 12, 3), date(2026, 12, 4), date(2027, 1, 15), date(2027, 2, 4)):
        sweep(db.session, day, settings)
    assert created("protection") == [
        ("protection_end_1m", date(2027, 3, 4)),
        ("protection_end_3m", date(2027, 3, 4)),
    ]
    with system(db.session):
        rows = db.session.scalars(select(Notification).where(Notification.kind.startswith("prot")))
        assert {(n.subject_id, n.recipient_id) for n in rows} == {(household.id, coordinator.id)}


def test_unprotected_workflows_get_no_protection_alerts(
    municipality: Municipality, coordinator: User
) -> None:
    world = World(municipality, coordinator, coordinator)
    register(world, "KS 1", date(2026, 9, 1), date(2026, 9, 1))
    sweep(
        db.session,
        date(2027, 2, 4),
        SweepSettings(protection_end={municipality.id: date(2027, 3, 4)}),
    )
    assert created("protection") == []


def test_civic_duty_alerts_six_and_one_month_before(
    municipality: Municipality, coordinator: User
) -> None:
    world = World(municipality, coordinator, coordinator)
    household = register(world, "KS 2", date(2026, 3, 2), date(2026, 3, 20))
    with tenant(db.session, municipality.id):
        person = household.members[0]
        households.update_person(
            person.id, {"registration_date": "2026-04-15"}, None, date(2026, 4, 20)
        )
    duty_end = date(2029, 4, 15)  # 36 months after registration
    # 6 months before: 2028-10-15; 1 month before: 2029-03-15. Sweep around both.
    for day in (date(2028, 10, 14), date(2028, 10, 15), date(2028, 12, 1), date(2029, 3, 15)):
        sweep(db.session, day, SweepSettings())
    assert created("civic") == [
        ("civic_duty_end_1m", duty_end),
        ("civic_duty_end_6m", duty_end),
    ]


def test_escalation_threshold_counts_working_days() -> None:
    # Due Thu 2026-04-30; Fri 05-01 is May Day: five working days overdue on Fri 05-08.
    assert rules.escalation_due_through(date(2026, 5, 7), 5) < date(2026, 4, 30)
    assert rules.escalation_due_through(date(2026, 5, 8), 5) == date(2026, 5, 3)
    # On a Monday, tasks due up to the previous Monday are 5 working days overdue.
    assert rules.escalation_due_through(date(2026, 6, 15), 5) == date(2026, 6, 8)


def test_alert_windows_pick_the_nearest_alert() -> None:
    windows = dict(rules.day_windows(date(2026, 5, 1), (14, 7)))
    assert windows[7] == rules.Window(date(2026, 5, 1), date(2026, 5, 8))
    assert windows[14] == rules.Window(date(2026, 5, 9), date(2026, 5, 15))
    months = dict(rules.month_windows(date(2026, 1, 31), (6, 1)))
    assert months[1] == rules.Window(date(2026, 1, 31), date(2026, 2, 28))
    assert months[6] == rules.Window(date(2026, 3, 1), date(2026, 7, 31))
