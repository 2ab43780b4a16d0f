"""The coordinator's pages end to end: work list actions, new household, dates, admin."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from reception.extensions import db
from reception.models import Household, Municipality, Task, User
from reception.models.tenancy import system
from reception.services import accounts
from reception.timeutil import today
from tests.web.helpers import sign_in, web_client
from tests.web.test_query_counts import add_households


def _task(household_id: int, key: str) -> Task:
    db.session.expire_all()  # the requests ran in sessions of their own
    with system(db.session):
        return db.session.scalar(
            select(Task).where(Task.household_id == household_id, Task.key == key)
        )


def test_work_list_actions_without_and_with_htmx(
    app: Flask, municipality: Municipality, coordinator: User
) -> None:
    household = add_households(municipality, coordinator, 1, 1)[0]
    client = web_client(app)
    token = sign_in(client, coordinator)
    page = client.get("/").get_data(as_text=True)
    assert "KS 2026/001" in page and "mottagningsdatum + 14 dagar" in page.replace("\xa0", " ")

    visit = _task(household.id, "skatteverket_visit")
    response = client.post(
        f"/tasks/{visit.id}/complete",
        data={"csrf_token": token, "completed_on": "", "next": "/"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert _task(household.id, "skatteverket_visit").status == "done"
    # The message after the redirect says which task, not just "the task".
    message = client.get("/").get_data(as_text=True).replace("\xa0", " ")
    assert f"”{visit.title_sv}" in message and "är markerad som klar." in message

    local = _task(household.id, "local_orientation")
    refused = client.post(
        f"/tasks/{local.id}/not-applicable",
        data={"csrf_token": token, "note": " ", "context": "worklist"},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 200
    body = refused.get_data(as_text=True)
    assert f'id="task-{local.id}"' in body and 'aria-invalid="true"' in body
    assert _task(household.id, "local_orientation").status == "open"

    waiting = client.post(
        f"/tasks/{local.id}/wait",
        data={"csrf_token": token, "waiting_on": "Skatteverket", "context": "worklist"},
        headers={"HX-Request": "true"},
    )
    # The message fills the existing status region (a new live region is not announced).
    body = waiting.get_data(as_text=True)
    assert '<div id="flash-region" hx-swap-oob="innerHTML">' in body
    assert f"”{local.title_sv}" in body and "väntar nu på en myndighet" in body
    assert _task(household.id, "local_orientation").waiting_on == "Skatteverket"


def test_new_household_errors_sit_beside_their_fields(app: Flask, coordinator: User) -> None:
    client = web_client(app)
    token = sign_in(client, coordinator)
    more = client.post(
        "/households/new", data={"csrf_token": token, "member_count": "2", "action": "add_member"}
    )
    assert 'name="members-2-given_name"' in more.get_data(as_text=True)

    form = {
        "csrf_token": token,
        "member_count": "3",
        "action": "save",
        "reference": "KS 2026/500",
        "workflow": "settlement-reception-centre",
        "assignment_date": (today() - timedelta(days=5)).isoformat(),
        # Row 0 left blank: the service's members[0] is row 1.
        "members-1-given_name": "Amal",
        "members-1-family_name": "Yousef",
        "members-1-birth_date": "2999-01-01",
        "members-2-given_name": "Sami",
        "members-2-family_name": "Yousef",
        "members-2-birth_date": "1990-05-05",
    }
    response = client.post("/households/new", data=form)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'href="#members-1-birth_date"' in body  # in the error summary
    assert re.search(r'id="members-1-birth_date-error"', body)
    assert 'id="members-2-birth_date-error"' not in body

    form["members-1-birth_date"] = "2015-03-03"
    created = client.post("/households/new", data=form)
    assert created.status_code == 303
    with system(db.session):
        household = db.session.scalar(select(Household).where(Household.reference == "KS 2026/500"))
        assert [m.given_name for m in household.members] == ["Sami", "Amal"]


def test_changing_the_reception_date_shows_what_moved(
    app: Flask, municipality: Municipality, coordinator: User
) -> None:
    household = add_households(municipality, coordinator, 1, 1)[0]
    client = web_client(app)
    token = sign_in(client, coordinator)
    new_date = (today() - timedelta(days=3)).isoformat()
    response = client.post(
        f"/households/{household.id}/dates",
        data={
            "csrf_token": token,
            "reception_date": new_date,
            "latest_reception_date": household.latest_reception_date.isoformat(),
            "coordinator_id": str(coordinator.id),
        },
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 303
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "Förfallodatum som flyttades" in page  # Swedish: the user's language
    assert "Mottagningsdatum ändrat" in page  # the history's reason
    # Expected payments moved with the reception date, named and in kronor.
    assert "Förväntad utbetalning: Etableringsschablon" in page
    assert re.search(r"41\W250\skr", page)

    bad = client.post(
        f"/households/{household.id}/dates",
        data={
            "csrf_token": token,
            "reception_date": "2001-01-01",
            "latest_reception_date": household.latest_reception_date.isoformat(),
        },
    )
    assert bad.status_code == 422
    assert 'id="household-reception_date-error"' in bad.get_data(as_text=True)


def test_admin_manages_only_their_municipality(
    app: Flask, municipality: Municipality, other_municipality: Municipality
) -> None:
    admin = accounts.create_user(municipality, "admin@bracke.example", "Admin", ["admin"])
    outsider = accounts.create_user(
        other_municipality, "x@ragunda.example", "Ragunda Person", ["coordinator"]
    )
    client = web_client(app)
    token = sign_in(client, admin)
    assert "Ragunda Person" not in client.get("/admin/users").get_data(as_text=True)
    assert client.get(f"/admin/users/{outsider.id}").status_code == 404

    created = client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "email": "ny@bracke.example",
            "name": "Ny Samordnare",
            "roles": ["coordinator", "manager"],
            "locale": "en",
            "password": "ett långt lösenord",
        },
    )
    assert created.status_code == 303
    user = accounts.user_by_email("ny@bracke.example")
    assert user.municipality_id == municipality.id and user.roles == "coordinator manager"

    lockout = client.post(
        f"/admin/users/{admin.id}",
        data={
            "csrf_token": token,
            "name": "Admin",
            "roles": ["coordinator"],
            "locale": "sv",
            "active": "y",
        },
    )
    assert lockout.status_code == 422
    assert accounts.user_by_email(admin.email).roles == "admin"


def test_the_work_list_shows_how_long_tasks_have_waited_and_that_reminders_are_paused(
    app: Flask, municipality: Municipality, coordinator: User
) -> None:
    import time_machine

    household = add_households(municipality, coordinator, 1, 1)[0]
    client = web_client(app)
    token = sign_in(client, coordinator)
    local = _task(household.id, "local_orientation")
    client.post(
        f"/tasks/{local.id}/wait",
        data={"csrf_token": token, "waiting_on": "Migrationsverket"},
    )
    with time_machine.travel(today() + timedelta(days=5, hours=12)):
        later = web_client(app)  # five days on, the first session has long timed out
        sign_in(later, coordinator)
        page = later.get("/").get_data(as_text=True)
    section = page[page.index('id="section-waiting"') :]
    assert "Väntar på myndighet" in section and "Migrationsverket" in section
    assert "(5 dagar)" in section
    assert "Påminnelser pausade" in section
    assert "Påminnelser och eskaleringar är pausade medan en uppgift väntar" in section
