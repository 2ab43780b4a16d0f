"""Two people on one household: a form from an older copy of the page is refused, not applied.

Each test opens a page as the coordinator, lets a colleague change the same thing through
the service, posts the form as rendered (with the user's change) and expects a 409 that
names what the colleague changed and who, keeps the user's input and leaves the stored row
as the colleague left it; the form in that answer carries the new version, so sending it
again saves the user's change without undoing the colleague's.
"""

from __future__ import annotations

import html as html_lib
import re
import threading
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from reception.extensions import db
from reception.models import (
    ChangeEvent,
    Household,
    Municipality,
    Person,
    ReceivedPayment,
    Task,
    User,
)
from reception.models.tenancy import system, tenant
from reception.services import accounts, households, payments
from reception.services import tasks as task_service
from reception.timeutil import today
from tests.web.helpers import form_values, sign_in, web_client
from tests.web.test_query_counts import add_households


def text(response: Any) -> str:
    """The page as text: tags dropped, entities decoded, non-breaking spaces plain."""
    page = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html_lib.unescape(page)).replace("\u00a0", " ")


def summary(response: Any) -> str:
    """The error summary at the top of the page, which must be an alert."""
    match = re.search(
        r'<div class="error-summary" role="alert".*?</div>', response.get_data(as_text=True), re.S
    )
    assert match, "no error summary with role=alert"
    return match.group(0)


def fresh(model: Any, ident: int) -> Any:
    db.session.expire_all()  # the requests ran in sessions of their own
    with system(db.session):
        return db.session.get(model, ident)


def events_by(user: User) -> list[tuple[str, str]]:
    db.session.expire_all()
    with system(db.session):
        rows = db.session.execute(
            select(ChangeEvent.entity, ChangeEvent.field).where(ChangeEvent.actor_id == user.id)
        )
        return [tuple(row) for row in rows]


@pytest.fixture()
def karin(municipality: Municipality) -> User:
    return accounts.create_user(municipality, "karin@bracke.example", "Karin Holm", ["manager"])


@pytest.fixture()
def johan(municipality: Municipality) -> User:
    return accounts.create_user(municipality, "johan@bracke.example", "Johan Berg", ["coordinator"])


@pytest.fixture()
def household(municipality: Municipality, coordinator: User) -> Household:
    return add_households(municipality, coordinator, 1, 1)[0]


def as_user(app: Flask, user: User) -> Any:
    client = web_client(app)
    client.token = sign_in(client, user)
    return client


# --- the household's dates ---------------------------------------------------------------------


def test_a_stale_dates_form_names_the_colleague_and_keeps_the_typed_date(
    app: Flask, household: Household, coordinator: User, karin: User, johan: User
) -> None:
    client = as_user(app, coordinator)
    url = f"/households/{household.id}"
    form = form_values(client.get(url).get_data(as_text=True), "household-form")
    assert form["version"] == str(household.version)
    assert form["orig-coordinator_id"] == str(coordinator.id)

    # Meanwhile Karin gives the household to Johan and moves the latest reception date.
    latest = household.assignment_date + timedelta(days=75)
    with tenant(db.session, household.municipality_id):
        households.update_household(
            household.id,
            {"coordinator_id": johan.id, "latest_reception_date": latest.isoformat()},
            karin,
            today(),
        )
    after_karin = fresh(Household, household.id)
    old_reception = after_karin.reception_date

    typed = (today() - timedelta(days=3)).isoformat()
    response = client.post(
        f"{url}/dates", data={**form, "reception_date": typed, "csrf_token": client.token}
    )
    assert response.status_code == 409
    alert = summary(response)
    assert 'href="#household-form"' in alert
    assert (
        f"Karin Holm ändrade Senaste mottagningsdatum (nu: {latest.isoformat()}) och "
        "Samordnare (nu: Johan Berg) efter att du öppnade sidan. Dina uppgifter finns kvar "
        "nedan: kontrollera och spara igen."
    ) in text(response)
    again = form_values(response.get_data(as_text=True), "household-form")
    # The typed date is kept; the fields the user left alone show Karin's values now.
    assert again["reception_date"] == typed
    assert again["coordinator_id"] == str(johan.id)
    assert again["latest_reception_date"] == latest.isoformat()
    assert again["version"] == str(after_karin.version)
    assert 'id="household-form"' in response.get_data(as_text=True)

    stored = fresh(Household, household.id)
    assert (stored.version, stored.reception_date, stored.coordinator_id) == (
        after_karin.version,
        old_reception,
        johan.id,
    )
    assert ("household", "reception_date") not in events_by(coordinator)

    saved = client.post(f"{url}/dates", data={**again, "csrf_token": client.token})
    assert saved.status_code == 303
    stored = fresh(Household, household.id)
    assert stored.reception_date.isoformat() == typed
    assert (stored.coordinator_id, stored.latest_reception_date) == (johan.id, latest)
    assert ("household", "reception_date") in events_by(coordinator)
    assert ("household", "coordinator_id") not in events_by(coordinator)


def test_a_form_without_a_field_leaves_it_alone(
    app: Flask, household: Household, coordinator: User
) -> None:
    client = as_user(app, coordinator)
    typed = (today() - timedelta(days=2)).isoformat()
    response = client.post(
        f"/households/{household.id}/dates",
        data={"reception_date": typed, "csrf_token": client.token},
    )
    assert response.status_code == 303
    stored = fresh(Household, household.id)
    assert stored.reception_date.isoformat() == typed
    assert stored.coordinator_id == coordinator.id  # not posted, so not cleared


def test_a_stale_and_invalid_dates_form_says_both(
    app: Flask, household: Household, coordinator: User, karin: User, johan: User
) -> None:
    client = as_user(app, coordinator)
    url = f"/households/{household.id}"
    form = form_values(client.get(url).get_data(as_text=True), "household-form")
    with tenant(db.session, household.municipality_id):
        households.update_household(household.id, {"coordinator_id": johan.id}, karin, today())
    response = client.post(
        f"{url}/dates",
        data={**form, "reception_date": "2001-01-01", "csrf_token": client.token},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 409
    page = text(response)
    assert "Karin Holm ändrade Samordnare (nu: Johan Berg)" in page
    assert 'id="household-reception_date-error"' in response.get_data(as_text=True)
    assert fresh(Household, household.id).reception_date != date(2001, 1, 1)


# --- a member ----------------------------------------------------------------------------------


def test_a_stale_member_form_names_the_changed_date(
    app: Flask, household: Household, coordinator: User, karin: User
) -> None:
    person = household.members[0]
    form_id = f"member-{person.id}-form"
    client = as_user(app, coordinator)
    url = f"/households/{household.id}"
    form = form_values(client.get(url).get_data(as_text=True), form_id)
    registered = today() - timedelta(days=5)
    with tenant(db.session, household.municipality_id):
        households.update_person(
            person.id, {"registration_date": registered.isoformat()}, karin, today()
        )
    version = fresh(Person, person.id).version

    decided = (today() - timedelta(days=4)).isoformat()
    response = client.post(
        f"{url}/members/{person.id}",
        data={**form, "personnummer_date": decided, "csrf_token": client.token},
    )
    assert response.status_code == 409
    assert f'href="#{form_id}"' in summary(response)
    assert (
        f"Karin Holm ändrade Folkbokföringsdatum (nu: {registered.isoformat()}) efter att du "
        "öppnade sidan."
    ) in text(response)
    again = form_values(response.get_data(as_text=True), form_id)
    assert again["personnummer_date"] == decided
    assert again["registration_date"] == registered.isoformat()
    stored = fresh(Person, person.id)
    assert (stored.version, stored.personnummer_date) == (version, None)

    saved = client.post(f"{url}/members/{person.id}", data={**again, "csrf_token": client.token})
    assert saved.status_code == 303
    stored = fresh(Person, person.id)
    assert (stored.registration_date, stored.personnummer_date.isoformat()) == (
        registered,
        decided,
    )


def test_adding_a_member_checks_the_household_version(
    app: Flask, household: Household, coordinator: User, karin: User, johan: User
) -> None:
    client = as_user(app, coordinator)
    url = f"/households/{household.id}"
    form = form_values(client.get(url).get_data(as_text=True), "new-member-form")
    with tenant(db.session, household.municipality_id):
        households.update_household(household.id, {"coordinator_id": johan.id}, karin, today())
    member = {"given_name": "Nadia", "family_name": "Familj1", "birth_date": "2020-02-02"}
    response = client.post(f"{url}/members", data={**form, **member, "csrf_token": client.token})
    assert response.status_code == 409
    assert "Karin Holm ändrade hushållet efter att du öppnade sidan." in text(response)
    again = form_values(response.get_data(as_text=True), "new-member-form")
    assert again["given_name"] == "Nadia" and again["birth_date"] == "2020-02-02"
    assert len(fresh(Household, household.id).members) == 2

    assert (
        client.post(f"{url}/members", data={**again, "csrf_token": client.token}).status_code == 303
    )
    assert len(fresh(Household, household.id).members) == 3


# --- a task ------------------------------------------------------------------------------------


def _task(household: Household, key: str) -> Task:
    db.session.expire_all()
    with system(db.session):
        return db.session.scalar(
            select(Task).where(Task.household_id == household.id, Task.key == key)
        )


def test_a_stale_task_action_on_the_household_page_keeps_the_note(
    app: Flask, household: Household, coordinator: User, karin: User
) -> None:
    task = _task(household, "local_orientation")
    form_id = f"task-{task.id}-na-form"
    client = as_user(app, coordinator)
    url = f"/households/{household.id}"
    form = form_values(client.get(url).get_data(as_text=True), form_id)
    with tenant(db.session, household.municipality_id):
        task_service.update(task.id, {"note": "Ring tolken först"}, karin)
    version = _task(household, "local_orientation").version

    response = client.post(
        f"/tasks/{task.id}/not-applicable",
        data={**form, "note": "Familjen har flyttat", "csrf_token": client.token},
    )
    assert response.status_code == 409
    assert f'href="#task-{task.id}"' in summary(response)
    assert (
        "Karin Holm ändrade Anteckning (nu: Ring tolken först) efter att du öppnade sidan."
    ) in text(response)
    again = form_values(response.get_data(as_text=True), form_id)
    assert again["note"] == "Familjen har flyttat"
    assert again["version"] == str(version)
    stored = _task(household, "local_orientation")
    assert (stored.status, stored.note, stored.version) == ("open", "Ring tolken först", version)

    saved = client.post(
        f"/tasks/{task.id}/not-applicable", data={**again, "csrf_token": client.token}
    )
    assert saved.status_code == 303
    stored = _task(household, "local_orientation")
    assert (stored.status, stored.note) == ("not_applicable", "Familjen har flyttat")


def test_a_stale_task_action_from_the_work_list_with_htmx(
    app: Flask, household: Household, coordinator: User, karin: User
) -> None:
    task = _task(household, "skatteverket_visit")
    form_id = f"task-{task.id}-complete-form"
    client = as_user(app, coordinator)
    form = form_values(client.get("/").get_data(as_text=True), form_id)
    assert form["next"] == "/"
    with tenant(db.session, household.municipality_id):
        task_service.wait_on_authority(task.id, {"waiting_on": "Skatteverket"}, karin, today())

    done_on = (today() - timedelta(days=1)).isoformat()
    answer = client.post(
        f"/tasks/{task.id}/complete",
        data={**form, "completed_on": done_on, "csrf_token": client.token},
        headers={"HX-Request": "true"},
    )
    # htmx swaps the 409 in (base.html): the task as it is now, the message in it.
    assert answer.status_code == 409
    body = answer.get_data(as_text=True)
    assert '<li class="checklist__item' in body and f'id="task-{task.id}-conflict"' in body
    page = text(answer)
    assert "Karin Holm ändrade Status (nu: Väntar på myndighet)" in page
    assert "och Väntar på (nu: Skatteverket)" in page
    assert 'hx-swap-oob="innerHTML"' in body
    again = form_values(body, form_id)
    assert again["completed_on"] == done_on
    assert _task(household, "skatteverket_visit").status == "waiting"

    # Without JavaScript the work list is shown again, with the summary at the top.
    plain = client.post(
        f"/tasks/{task.id}/complete",
        data={**form, "completed_on": done_on, "csrf_token": client.token},
    )
    assert plain.status_code == 409
    assert f'href="#task-{task.id}"' in summary(plain)
    assert "Mina uppgifter" in text(plain)
    assert form_values(plain.get_data(as_text=True), form_id)["completed_on"] == done_on

    saved = client.post(
        f"/tasks/{task.id}/complete",
        data={**again, "csrf_token": client.token},
        headers={"HX-Request": "true"},
    )
    assert saved.status_code == 200
    stored = _task(household, "skatteverket_visit")
    assert (stored.status, stored.completed_on.isoformat()) == ("done", done_on)


def test_a_race_the_version_column_caught_is_answered_like_a_stale_form(
    app: Flask, household: Household, coordinator: User
) -> None:
    """Another connection commits a change to the task just before this request writes:
    the lock did not serialise them (as on SQLite), the UPDATE's version check did."""
    task = _task(household, "local_orientation")
    form_id = f"task-{task.id}-note-form"
    client = as_user(app, coordinator)
    url = f"/households/{household.id}"
    form = form_values(client.get(url).get_data(as_text=True), form_id)
    bumped: list[int] = [task.id]

    def bump(session: Session, _context: Any, _instances: Any) -> None:
        if bumped and any(isinstance(obj, Task) for obj in session.dirty):
            with db.engine.begin() as other:
                other.execute(
                    sql(
                        "UPDATE task SET note = 'Från en annan', version = version + 1 "
                        "WHERE id = :id"
                    ),
                    {"id": bumped.pop()},
                )

    event.listen(Session, "before_flush", bump)
    try:
        response = client.post(
            f"/tasks/{task.id}/note",
            data={**form, "note": "Min anteckning", "csrf_token": client.token},
        )
    finally:
        event.remove(Session, "before_flush", bump)
    assert response.status_code == 409
    assert (
        "Någon annan ändrade Anteckning (nu: Från en annan) efter att du öppnade sidan."
    ) in text(response)
    again = form_values(response.get_data(as_text=True), form_id)
    assert again["note"] == "Min anteckning"
    assert again["version"] == str(int(form["version"]) + 1)
    assert _task(household, "local_orientation").note == "Från en annan"


# --- a received payment ------------------------------------------------------------------------


@pytest.fixture()
def payment(municipality: Municipality, household: Household) -> ReceivedPayment:
    with tenant(db.session, municipality.id):
        return payments.add_payment(
            {
                "paid_on": today().isoformat(),
                "amount_sek": "61982",
                "kind": "initial_cost",
                "case_reference": household.reference,
            },
            None,
            today(),
        )


def test_a_stale_payment_form_keeps_the_correction_and_names_the_change(
    app: Flask, municipality: Municipality, payment: ReceivedPayment
) -> None:
    eva = accounts.create_user(municipality, "eva@bracke.example", "Eva Konom", ["finance"])
    erik = accounts.create_user(municipality, "erik@bracke.example", "Erik Sund", ["finance"])
    client = as_user(app, eva)
    url = f"/finance/payments/{payment.id}/edit"
    form = form_values(client.get(url).get_data(as_text=True), "payment-form")
    assert form["version"] == str(payment.version) and form["orig-amount_sek"] == "61982"
    with tenant(db.session, municipality.id):
        current = payments.get_payment(payment.id)
        payments.update_payment(
            payment.id,
            {
                "paid_on": current.paid_on.isoformat(),
                "amount_sek": "61000",
                "kind": current.kind,
                "case_reference": current.identity,
            },
            erik,
            today(),
        )
    version = fresh(ReceivedPayment, payment.id).version

    response = client.post(
        url, data={**form, "reference": "Kontoutdrag maj", "csrf_token": client.token}
    )
    assert response.status_code == 409
    assert 'href="#payment-form"' in summary(response)
    # Payments have no field history, so the message cannot say who.
    assert "Någon annan ändrade Belopp i kronor (nu: 61000) efter att du öppnade sidan." in text(
        response
    )
    again = form_values(response.get_data(as_text=True), "payment-form")
    assert (again["reference"], again["amount_sek"]) == ("Kontoutdrag maj", "61000")
    stored = fresh(ReceivedPayment, payment.id)
    assert (stored.version, stored.amount_sek, stored.reference) == (version, 61000, None)

    # Deleting from the old page is refused too: the payment is not what was shown.
    deleted = client.post(
        f"/finance/payments/{payment.id}/delete",
        data={"version": form["version"], "csrf_token": client.token},
    )
    assert deleted.status_code == 409
    assert fresh(ReceivedPayment, payment.id) is not None

    saved = client.post(url, data={**again, "csrf_token": client.token})
    assert saved.status_code == 303
    stored = fresh(ReceivedPayment, payment.id)
    assert (stored.amount_sek, stored.reference) == (61000, "Kontoutdrag maj")


# --- two writers at once -----------------------------------------------------------------------


@pytest.mark.postgres
def test_two_people_saving_the_dates_form_at_once(
    app: Flask, household: Household, coordinator: User, karin: User
) -> None:
    url = f"/households/{household.id}"
    clients = [as_user(app, coordinator), as_user(app, karin)]
    forms = [form_values(c.get(url).get_data(as_text=True), "household-form") for c in clients]
    assert forms[0]["version"] == forms[1]["version"]
    days = [today() - timedelta(days=n) for n in (2, 4)]
    barrier = threading.Barrier(2)
    statuses: list[int] = [0, 0]

    def save(i: int) -> None:
        data = {**forms[i], "reception_date": days[i].isoformat(), "csrf_token": clients[i].token}
        barrier.wait()
        statuses[i] = clients[i].post(f"{url}/dates", data=data).status_code

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [303, 409]
    winner = statuses.index(303)
    stored = fresh(Household, household.id)
    assert stored.reception_date == days[winner]
    assert stored.version == int(forms[0]["version"]) + 1
