"""The manager's pages over HTTP: what the dashboard shows and the reassignment form."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import event, select

from reception.extensions import db
from reception.models import ChangeEvent, Household, Municipality, Task, User
from reception.models.tenancy import tenant
from reception.services import accounts
from tests.services.factories import Maker
from tests.web.helpers import sign_in, web_client

TODAY = date(2026, 5, 20)


@pytest.fixture(autouse=True)
def frozen() -> object:
    with time_machine.travel("2026-05-20 09:00 +02:00", tick=False):
        yield


@pytest.fixture()
def manager(municipality: Municipality) -> User:
    return accounts.create_user(municipality, "karin@bracke.example", "Karin Holm", ["manager"])


@pytest.fixture()
def johan(municipality: Municipality) -> User:
    return accounts.create_user(municipality, "johan@bracke.example", "Johan Berg", ["coordinator"])


@pytest.fixture()
def data(municipality: Municipality, coordinator: User) -> dict[str, object]:
    make = Maker(municipality)
    housing = make.household(latest=TODAY + timedelta(days=5), coordinator=coordinator)
    make.task(housing, "housing", due=housing.latest_reception_date, assignee=coordinator)
    late = make.household(latest=date(2026, 3, 10), reception=date(2026, 3, 20))
    make.task(late, "housing", due=late.latest_reception_date, status="done")
    on_time = make.household(latest=date(2026, 3, 10), reception=date(2026, 3, 1))
    make.task(on_time, "housing", due=on_time.latest_reception_date, status="done")
    make.task(on_time, "first_day_food", due=date(2026, 5, 1), assignee=coordinator)
    return {"housing": housing, "late": late}


def in_english(client: object, token: str) -> None:
    response = client.post("/language", data={"language": "en", "csrf_token": token})  # type: ignore[attr-defined]
    assert response.status_code == 303


def page_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_dashboard_shows_alerts_workload_and_compliance(
    app: Flask, manager: User, coordinator: User, data: dict[str, Household]
) -> None:
    client = web_client(app)
    in_english(client, sign_in(client, manager))

    response = client.get("/manager/")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    housing = data["housing"]
    assert f'href="/households/{housing.id}">{housing.reference}</a>' in html
    text = page_text(html)
    assert "Latest reception date May 25, 2026" in text
    assert "in 5 days" in text
    assert "19 days overdue" in text  # first_day_food, due 1 May
    # Workload: Sam Ordnare has one household and two open tasks, one overdue, one due in 5 days.
    row = re.search(r"Sam Ordnare</th>(.*?)</tr>", html, re.S)
    assert row and re.findall(r'<td class="num">(\d+)</td>', row.group(1)) == ["1", "2", "1", "1"]
    # Compliance: March 2026, one of two households received by the deadline.
    assert "March 2026 1 of 2 (50%)" in text


def test_dashboard_in_swedish_formats_for_the_locale(
    app: Flask, manager: User, data: dict[str, Household]
) -> None:
    client = web_client(app)
    sign_in(client, manager)

    text = page_text(client.get("/manager/?chart=sfi").get_data(as_text=True))

    assert "mars 2026" in text
    assert "(50 %)" in text  # Swedish puts a space before the percent sign


def test_unknown_chart_falls_back_to_the_first(app: Flask, manager: User) -> None:
    client = web_client(app)
    sign_in(client, manager)
    html = client.get("/manager/?chart=nonsense").get_data(as_text=True)
    assert re.search(r'href="/manager/\?chart=received#chart" aria-current="true"', html)


def test_reassign_moves_work_and_reports_it(
    app: Flask,
    municipality: Municipality,
    manager: User,
    coordinator: User,
    johan: User,
    data: dict[str, Household],
) -> None:
    client = web_client(app)
    token = sign_in(client, manager)
    in_english(client, token)
    form = client.get(f"/manager/reassign?from_user_id={coordinator.id}").get_data(as_text=True)
    assert f'<option value="{coordinator.id}" selected>' in form

    response = client.post(
        "/manager/reassign",
        data={
            "csrf_token": token,
            "from_user_id": str(coordinator.id),
            "to_user_id": str(johan.id),
            "move": ["tasks", "households"],
        },
    )

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/manager/#workload")
    followed = page_text(client.get("/manager/").get_data(as_text=True))
    assert "Moved 2 open tasks and 1 household from Sam Ordnare to Johan Berg." in followed
    with tenant(db.session, municipality.id):
        db.session.expire_all()
        assert set(db.session.scalars(select(Task.assignee_id).where(Task.status == "open"))) == {
            johan.id
        }
        assert db.session.get(Household, data["housing"].id).coordinator_id == johan.id
        assert all(e.actor_id == manager.id for e in db.session.scalars(select(ChangeEvent)))


def test_reassign_refusal_shows_the_errors_beside_the_fields(
    app: Flask, manager: User, coordinator: User, data: dict[str, Household]
) -> None:
    client = web_client(app)
    token = sign_in(client, manager)
    in_english(client, token)

    response = client.post(
        "/manager/reassign",
        data={
            "csrf_token": token,
            "from_user_id": str(coordinator.id),
            "to_user_id": str(coordinator.id),
        },
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<a href="#to_user_id">Choose a different coordinator' in html
    assert '<a href="#move">Choose tasks, households or both.</a>' in html
    assert 'id="to_user_id-error"' in html and 'aria-invalid="true"' in html
    # What was chosen is kept.
    assert f'<option value="{coordinator.id}" selected>' in html


def test_reassign_without_csrf_token_changes_nothing(
    app: Flask,
    municipality: Municipality,
    manager: User,
    coordinator: User,
    johan: User,
    data: dict[str, Household],
) -> None:
    client = web_client(app)
    sign_in(client, manager)
    client.post(
        "/manager/reassign",
        data={"from_user_id": coordinator.id, "to_user_id": johan.id, "move": ["tasks"]},
    )
    with tenant(db.session, municipality.id):
        assert db.session.scalar(select(ChangeEvent.id)) is None


def test_dashboard_queries_do_not_grow_with_households(
    app: Flask, municipality: Municipality, manager: User, coordinator: User
) -> None:
    client = web_client(app)
    sign_in(client, manager)
    make = Maker(municipality)

    def add(n: int) -> None:
        for _ in range(n):
            household = make.household(latest=TODAY + timedelta(days=3), coordinator=coordinator)
            due = household.latest_reception_date
            make.task(household, "housing", due=due, assignee=coordinator)
            make.task(household, "first_day_food", due=TODAY - timedelta(2), assignee=coordinator)
            make.person(household, "Anna")

    def queries() -> int:
        statements: list[str] = []

        def count(*_args: object) -> None:
            statements.append("")

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/manager/").status_code == 200
            assert client.get("/manager/reassign").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    add(2)
    few = queries()
    add(20)
    assert queries() == few
