"""Dashboard figures through the service, on hand-made households with fixed dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event

from reception.extensions import db
from reception.models import Municipality, User
from reception.models.tenancy import tenant
from reception.services import accounts, dashboard
from reception.services.dashboard import Ratio
from tests.services.factories import TODAY, Maker


@pytest.fixture()
def make(municipality: Municipality) -> Maker:
    return Maker(municipality)


@pytest.fixture()
def elsewhere(other_municipality: Municipality) -> Maker:
    return Maker(other_municipality)


@pytest.fixture()
def johan(municipality: Municipality) -> User:
    return accounts.create_user(municipality, "johan@bracke.example", "Johan Berg", ["coordinator"])


@pytest.fixture()
def ragunda_user(other_municipality: Municipality) -> User:
    return accounts.create_user(
        other_municipality, "lena@ragunda.example", "Lena Östlund", ["coordinator"]
    )


def in_(municipality: Municipality):
    return tenant(db.session, municipality.id)


# --- Alerts ------------------------------------------------------------------


def test_housing_alert_within_14_days_while_housing_is_not_done(
    make: Maker, elsewhere: Maker, municipality: Municipality, coordinator: User
) -> None:
    due_in_14 = make.household(latest=TODAY + timedelta(days=14), coordinator=coordinator)
    make.task(due_in_14, "housing", due=due_in_14.latest_reception_date)
    passed = make.household(latest=TODAY - timedelta(days=2))
    make.task(passed, "housing", due=passed.latest_reception_date, status="waiting")
    due_in_15 = make.household(latest=TODAY + timedelta(days=15))
    make.task(due_in_15, "housing", due=due_in_15.latest_reception_date)
    housed = make.household(latest=TODAY + timedelta(days=3))
    make.task(housed, "housing", due=housed.latest_reception_date, status="done")
    closed = make.household(latest=TODAY + timedelta(days=3), status="closed")
    make.task(closed, "housing", due=closed.latest_reception_date)
    self_settled = make.household(latest=TODAY + timedelta(days=3), workflow="self-settled")
    make.task(self_settled, "skatteverket_visit", due=TODAY)
    foreign = elsewhere.household(latest=TODAY + timedelta(days=1))
    elsewhere.task(foreign, "housing", due=foreign.latest_reception_date)

    with in_(municipality):
        alerts = dashboard.housing_alerts(TODAY)

    assert [(a.reference, a.days_left, a.coordinator_name) for a in alerts] == [
        (passed.reference, -2, None),
        (due_in_14.reference, 14, "Sam Ordnare"),
    ]


def test_overdue_tasks_grouped_by_assignee(
    make: Maker, elsewhere: Maker, municipality: Municipality, coordinator: User, johan: User
) -> None:
    household = make.household()
    rania = make.person(household, "Rania")
    old = make.task(
        household, "sfi_application", due=TODAY - timedelta(days=9), person=rania, assignee=johan
    )
    newer = make.task(household, "local_orientation", due=TODAY - timedelta(1), assignee=johan)
    make.task(household, "school_enrolment", due=TODAY, assignee=johan)  # due today: not overdue
    make.task(household, "waiting_one", due=TODAY - timedelta(5), status="waiting", assignee=johan)
    make.task(household, "done_one", due=TODAY - timedelta(5), status="done", assignee=johan)
    sam = make.task(
        household, "social_services_meeting", due=date(2026, 5, 1), assignee=coordinator
    )
    nobody = make.task(household, "health_examination", due=date(2026, 4, 1))
    closed = make.household(status="closed")
    make.task(closed, "housing", due=date(2026, 1, 1), assignee=johan)
    foreign = elsewhere.household()
    elsewhere.task(foreign, "housing", due=date(2026, 1, 1))

    with in_(municipality):
        groups = dashboard.overdue_by_coordinator(TODAY)

    assert [(g.name, [t.task_id for t in g.tasks]) for g in groups] == [
        ("Johan Berg", [old.id, newer.id]),
        ("Sam Ordnare", [sam.id]),
        (None, [nobody.id]),
    ]
    first = groups[0].tasks[0]
    assert (first.days_overdue, first.person_name, first.title("en")) == (
        9,
        "Rania Testsson",
        "sfi_application (en)",
    )
    assert first.title("sv") == "sfi_application (sv)"


@pytest.mark.parametrize(
    ("visit", "today", "alerted"),
    [
        # 28 February + 3 months = 28 May, so by 31 May more than three months have passed.
        (date(2026, 2, 28), date(2026, 5, 31), True),
        (date(2026, 2, 28), date(2026, 5, 28), False),
        (date(2026, 2, 28), date(2026, 5, 29), True),
        # 30 November + 3 months = 28 February (no 30th): 1 March is past it.
        (date(2025, 11, 30), date(2026, 2, 28), False),
        (date(2025, 11, 30), date(2026, 3, 1), True),
        (date(2026, 3, 1), date(2026, 6, 1), False),
        (date(2026, 3, 1), date(2026, 6, 2), True),
    ],
)
def test_personnummer_awaited_by_the_statutory_month_rule(
    make: Maker, municipality: Municipality, visit: date, today: date, alerted: bool
) -> None:
    household = make.household(reception=visit - timedelta(days=5))
    make.task(household, "skatteverket_visit", due=visit, status="done", completed_on=visit)
    waiting = make.person(household, "Omar")

    with in_(municipality):
        alerts = dashboard.personnummer_awaited(today)

    assert [(a.person_id, a.since) for a in alerts] == ([(waiting.id, visit)] if alerted else [])


def test_personnummer_alert_only_for_members_without_one(
    make: Maker, elsewhere: Maker, municipality: Municipality
) -> None:
    visit = date(2026, 1, 10)
    household = make.household(reception=date(2026, 1, 5))
    make.task(household, "skatteverket_visit", due=visit, status="done", completed_on=visit)
    make.person(household, "Registered", personnummer="19900101-0017")
    make.person(household, "Waiting")
    not_visited = make.household(reception=date(2026, 1, 5))
    make.task(not_visited, "skatteverket_visit", due=date(2026, 1, 19))
    make.person(not_visited, "Unvisited")
    foreign = elsewhere.household(reception=date(2026, 1, 5))
    elsewhere.task(foreign, "skatteverket_visit", due=visit, status="done", completed_on=visit)
    elsewhere.person(foreign, "Foreign")

    with in_(municipality):
        alerts = dashboard.personnummer_awaited(TODAY)

    assert [(a.person_name, a.reference) for a in alerts] == [
        ("Waiting Testsson", household.reference)
    ]


def test_civic_orientation_duty_ending_within_six_months_and_not_offered(
    make: Maker, municipality: Municipality
) -> None:
    household = make.household(reception=date(2023, 6, 1))
    cases = {
        "ends in six months": (date(2026, 11, 20), "open"),
        "ends today": (TODAY, "waiting"),
        "ends in six months and a day": (date(2026, 11, 21), "open"),
        "already ended": (TODAY - timedelta(days=1), "open"),
        "offered": (date(2026, 8, 1), "done"),
        "declined": (date(2026, 8, 1), "not_applicable"),
    }
    people = {}
    for name, (duty_end, offer_status) in cases.items():
        person = people[name] = make.person(household, name)
        make.task(household, "civic_orientation_duty_end", due=duty_end, person=person)
        make.task(
            household,
            "civic_orientation_offer",
            due=date(2023, 8, 1),
            status=offer_status,
            person=person,
        )

    with in_(municipality):
        alerts = dashboard.civic_orientation_ending(TODAY)

    assert [(a.person_id, a.since) for a in alerts] == [
        (people["ends today"].id, TODAY),
        (people["ends in six months"].id, date(2026, 11, 20)),
    ]


def test_alerts_bundle_and_totals(make: Maker, municipality: Municipality, johan: User) -> None:
    household = make.household(latest=TODAY + timedelta(days=1), coordinator=johan)
    make.task(household, "housing", due=household.latest_reception_date, assignee=johan)
    make.task(household, "first_day_food", due=TODAY - timedelta(days=1), assignee=johan)

    with in_(municipality):
        alerts = dashboard.alerts(TODAY)

    assert (len(alerts.housing), alerts.overdue_count, alerts.total) == (1, 1, 2)
    assert alerts.personnummer == alerts.civic_orientation == []


# --- Compliance --------------------------------------------------------------


def test_ratio_percent_is_whole_and_rounded_half_up() -> None:
    assert Ratio(0, 0).percent is None
    assert Ratio(1, 3).percent == 33
    assert Ratio(2, 3).percent == 67
    assert Ratio(1, 8).percent == 13  # 12.5 rounds up
    assert Ratio(3, 3).percent == 100


def test_compliance_by_month_of_the_legal_deadline(
    make: Maker, elsewhere: Maker, municipality: Municipality
) -> None:
    # March: two received in time, one late; one with no housing duty is not counted.
    for reception in (date(2026, 3, 10), date(2026, 3, 15), date(2026, 3, 20)):
        household = make.household(latest=date(2026, 3, 15), reception=reception)
        make.task(household, "housing", due=household.latest_reception_date, status="done")
    make.household(latest=date(2026, 3, 15), reception=date(2026, 3, 30), workflow="self-settled")
    # May: one not yet received with its deadline ahead (undecided), one deadline passed.
    ahead = make.household(latest=date(2026, 5, 25))
    make.task(ahead, "housing", due=ahead.latest_reception_date)
    missed = make.household(latest=date(2026, 5, 2))
    make.task(missed, "housing", due=missed.latest_reception_date)
    # Older than twelve months: outside the window.
    old = make.household(latest=date(2025, 5, 31), reception=date(2025, 5, 1))
    make.task(old, "housing", due=old.latest_reception_date, status="done")

    visits = make.household(latest=date(2026, 3, 1), reception=date(2026, 3, 1))
    make.task(
        visits,
        "skatteverket_visit",
        due=date(2026, 3, 15),
        status="done",
        completed_on=date(2026, 3, 15),
    )
    adults = [make.person(visits, name) for name in ("A", "B", "C", "D", "E")]
    sfi = [
        ("done", date(2026, 4, 10), date(2026, 4, 9)),  # in time
        ("done", date(2026, 4, 10), date(2026, 4, 11)),  # late
        ("open", date(2026, 4, 10), None),  # overdue: missed
        ("not_applicable", date(2026, 4, 10), None),  # not counted
        ("open", date(2026, 5, 31), None),  # still ahead: not counted
    ]
    for person, (status, due, completed) in zip(adults, sfi, strict=True):
        make.task(
            visits, "sfi_application", due=due, status=status, completed_on=completed, person=person
        )
    foreign = elsewhere.household(latest=date(2026, 3, 15), reception=date(2026, 3, 1))
    elsewhere.task(foreign, "housing", due=foreign.latest_reception_date, status="done")

    with in_(municipality):
        months = dashboard.compliance_by_month(TODAY)

    assert [m.month for m in months] == [date(2025, 6 + i, 1) for i in range(7)] + [
        date(2026, i, 1) for i in range(1, 6)
    ]
    by_month = {m.month: m for m in months}
    march, april, may = (by_month[date(2026, n, 1)] for n in (3, 4, 5))
    assert march.received_in_time == Ratio(2, 3)
    assert march.skatteverket_in_time == Ratio(1, 1)
    assert april.sfi_in_time == Ratio(1, 3)
    assert may.received_in_time == Ratio(0, 1)
    assert may.sfi_in_time == Ratio(0, 0)
    assert by_month[date(2025, 6, 1)].received_in_time == Ratio(0, 0)


# --- Workload ----------------------------------------------------------------


def test_workload_per_coordinator(
    make: Maker,
    elsewhere: Maker,
    municipality: Municipality,
    coordinator: User,
    johan: User,
    ragunda_user: User,
) -> None:
    accounts.create_user(municipality, "chef@bracke.example", "Karin Holm", ["manager"])
    first = make.household(coordinator=johan)
    make.household(coordinator=johan)
    make.household(coordinator=johan, status="closed")
    make.task(first, "a", due=TODAY - timedelta(days=1), assignee=johan)  # overdue
    make.task(first, "b", due=TODAY, assignee=johan)  # due soon
    make.task(first, "c", due=TODAY + timedelta(days=7), assignee=johan)  # due soon
    make.task(first, "d", due=TODAY + timedelta(days=8), assignee=johan)  # open only
    make.task(first, "e", due=None, status="waiting", assignee=johan)  # open only
    make.task(first, "f", due=TODAY - timedelta(days=3), status="waiting", assignee=johan)
    make.task(first, "g", due=TODAY - timedelta(days=3), status="done", assignee=johan)
    make.task(first, "h", due=TODAY - timedelta(days=3))  # nobody's
    foreign = elsewhere.household(coordinator=ragunda_user)
    elsewhere.task(foreign, "a", due=TODAY, assignee=ragunda_user)

    with in_(municipality):
        rows = dashboard.workload(TODAY)

    assert [(r.name, r.open_tasks, r.overdue, r.due_soon, r.households) for r in rows] == [
        ("Johan Berg", 6, 1, 2, 2),
        ("Sam Ordnare", 0, 0, 0, 0),
        (None, 1, 1, 0, 0),
    ]


def test_dashboard_query_count_does_not_grow_with_households(
    make: Maker, municipality: Municipality, johan: User
) -> None:
    def fill(n: int) -> None:
        for _ in range(n):
            household = make.household(latest=TODAY + timedelta(days=3), coordinator=johan)
            make.task(household, "housing", due=household.latest_reception_date, assignee=johan)
            make.person(household, "P")

    def queries() -> int:
        statements: list[str] = []

        def count(*_args: object) -> None:
            statements.append("")

        engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            with in_(municipality):
                dashboard.alerts(TODAY)
                dashboard.compliance_by_month(TODAY)
                dashboard.workload(TODAY)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        db.session.expire_all()
        return len(statements)

    fill(2)
    few = queries()
    fill(20)
    assert queries() == few
