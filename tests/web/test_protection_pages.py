"""Temporary protection through the web pages: registering a household, the transition at
registration, the family summary, quotas and the end-of-protection scenario."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from reception.extensions import db
from reception.models import ExpectedPayment, Household, Municipality, Task, User
from reception.models.tenancy import system, tenant
from reception.services import accounts, households, reimbursements
from tests.web.helpers import sign_in, web_client
from tests.web.test_query_counts import queries_for

FORM: dict[str, str] = {
    "reference": "UA 2026/002",
    "workflow": "temporary-protection-housing",
    "assignment_date": "2026-01-05",
    "move_in_date": "2026-01-15",
    "member_count": "3",
    "members-0-given_name": "Olena",
    "members-0-family_name": "Kovalenko",
    "members-0-birth_date": "1988-04-12",
    "members-0-permit_date": "2025-06-25",
    "members-0-samordningsnummer_date": "2025-06-27",
    "members-1-given_name": "Taras",
    "members-1-family_name": "Kovalenko",
    "members-1-birth_date": "2015-05-20",
    "members-2-given_name": "Daryna",
    "members-2-family_name": "Kovalenko",
    "members-2-birth_date": "2019-09-02",
    "action": "save",
}


@pytest.fixture()
def july() -> Iterator[date]:
    with time_machine.travel("2026-07-10 09:00 +02:00", tick=False):
        yield date(2026, 7, 10)


@pytest.fixture()
def manager(municipality: Municipality) -> User:
    return accounts.create_user(municipality, "chef@bracke.example", "Karin Chef", ["manager"])


def _text(response: Any) -> str:
    return response.get_data(as_text=True).replace("\xa0", " ")


def _register(client: Any, token: str, **changes: str) -> Any:
    return client.post("/households/new", data={**FORM, **changes, "csrf_token": token})


def _household(reference: str) -> Household:
    db.session.expire_all()  # the requests ran in sessions of their own
    with system(db.session):
        household = db.session.scalar(select(Household).where(Household.reference == reference))
        assert household is not None, reference
        return household


def test_a_household_under_temporary_protection_is_registered_through_the_form(
    app: Flask, municipality: Municipality, coordinator: User, july: date
) -> None:
    client = web_client(app)
    token = sign_in(client, coordinator)
    form = _text(client.get("/households/new"))
    for field in ("move_in_date", "members-0-permit_date", "members-0-samordningsnummer_date"):
        assert f'id="{field}"' in form

    # Each mistake is shown beside its field, and nothing is saved.
    refused = _register(
        client,
        token,
        move_in_date="2026-01-01",
        **{"members-0-permit_date": "2026-08-01", "members-1-samordningsnummer_date": "2026-13-01"},
    )
    assert refused.status_code == 422
    body = _text(refused)
    assert 'id="move_in_date-error"' in body and "före anvisningsdatumet" in body
    assert 'id="members-0-permit_date-error"' in body and "framtiden" in body
    assert 'id="members-1-samordningsnummer_date-error"' in body
    assert 'href="#members-1-samordningsnummer_date"' in body  # the error summary links to it
    not_housing = _register(client, token, workflow="settlement-reception-centre")
    assert not_housing.status_code == 422
    assert 'id="move_in_date-error"' in _text(not_housing)
    with system(db.session):
        assert db.session.scalar(select(Household.id)) is None

    response = _register(client, token)
    assert response.status_code == 303
    household = _household("UA 2026/002")
    assert household.move_in_date == date(2026, 1, 15)
    olena = next(p for p in household.members if p.given_name == "Olena")
    assert (olena.permit_date, olena.samordningsnummer_date) == (
        date(2025, 6, 25),
        date(2025, 6, 27),
    )

    page = _text(client.get(response.headers["Location"]))
    assert "Tillfälligt skydd" in page
    assert "15 jan. 2026" in page  # moved in
    assert "25 juni 2026" in page  # Olena may apply for registration a year after the permit
    assert "4 mars 2027" in page  # the last protected day
    assert "Tillståndsdatum saknas" in page  # the children have no permit date yet


def test_recording_a_registration_opens_the_linked_case_and_both_pages_link(
    app: Flask, municipality: Municipality, coordinator: User, july: date
) -> None:
    client = web_client(app)
    token = sign_in(client, coordinator)
    assert _register(client, token).status_code == 303
    household = _household("UA 2026/002")
    olena = next(p for p in household.members if p.given_name == "Olena")
    taras = next(p for p in household.members if p.given_name == "Taras")

    # The permit date of a child, recorded on the page.
    response = client.post(
        f"/households/{household.id}/members/{taras.id}",
        data={"csrf_token": token, "permit_date": "2025-07-01", "registration_date": ""},
    )
    assert response.status_code == 303
    assert "1 juli 2026" in _text(client.get(f"/households/{household.id}"))

    response = client.post(
        f"/households/{household.id}/members/{olena.id}",
        data={"csrf_token": token, "registration_date": "2026-07-01"},
    )
    assert response.status_code == 303
    case = _household("UA 2026/002 F1")
    assert case.previous_household_id == household.id
    page = _text(client.get(f"/households/{household.id}"))
    assert "Ett ärende enligt bosättningslagen har öppnats" in page
    assert f'href="/households/{case.id}"' in page
    assert "Olena Kovalenko är folkbokförd" in page
    # The notice is shown once; the link to the later case stays.
    again = _text(client.get(f"/households/{household.id}"))
    assert "har öppnats" not in again
    assert f'href="/households/{case.id}"' in again and "fortsättning på det här ärendet" in again

    later = _text(client.get(f"/households/{case.id}"))
    assert f'href="/households/{household.id}"' in later and "tidigare ärende" in later
    # One history for both cases: the household registration and the continuation.
    history = later[later.index('id="history-title"') :]
    assert "UA 2026/002 F1" in history and re.search(r"<td[^>]*>UA 2026/002</td>", history)

    # The registration cannot be changed on the temporary-protection record any more.
    refused = client.post(
        f"/households/{household.id}/members/{olena.id}",
        data={"csrf_token": token, "registration_date": "2026-07-02"},
    )
    assert refused.status_code == 422
    assert f'id="member-{olena.id}-registration_date-error"' in _text(refused)


def test_move_out_is_recorded_and_checked(
    app: Flask, municipality: Municipality, coordinator: User, july: date
) -> None:
    client = web_client(app)
    token = sign_in(client, coordinator)
    assert _register(client, token).status_code == 303
    household = _household("UA 2026/002")
    refused = client.post(
        f"/households/{household.id}/housing",
        data={"csrf_token": token, "move_in_date": "2026-01-15", "move_out_date": "2026-01-10"},
    )
    assert refused.status_code == 422
    assert 'id="housing-move_out_date-error"' in _text(refused)
    saved = client.post(
        f"/households/{household.id}/housing",
        data={"csrf_token": token, "move_in_date": "2026-01-15", "move_out_date": "2026-05-31"},
    )
    assert saved.status_code == 303
    assert _household("UA 2026/002").move_out_date == date(2026, 5, 31)
    with tenant(db.session, municipality.id):
        daily = [
            p
            for p in reimbursements.expected_for_household(household.id)
            if p.kind.startswith("tp_daily")
        ]
        assert daily and max(p.month for p in daily) == date(2026, 5, 1)


@pytest.mark.parametrize(
    ("lang", "heading", "last_day"),
    [
        ("uk", "Важливі дати", "4 березня 2027"),
        ("sv", "Viktiga datum", "4 mars 2027"),
        ("en", "Important dates", "March 4, 2027"),
    ],
)
def test_the_family_summary_in_three_languages(
    app: Flask,
    municipality: Municipality,
    coordinator: User,
    july: date,
    lang: str,
    heading: str,
    last_day: str,
) -> None:
    client = web_client(app)
    token = sign_in(client, coordinator)
    assert _register(client, token).status_code == 303
    household = _household("UA 2026/002")
    page = _text(client.get(f"/households/{household.id}"))
    link = f'href="/households/{household.id}/summary?lang={lang}" lang="{lang}"'
    assert link in page

    response = client.get(f"/households/{household.id}/summary?lang={lang}")
    assert response.status_code == 200 and response.headers["Content-Language"] == lang
    body = _text(response)
    assert f'<html lang="{lang}">' in body
    assert "<h1>" in body and heading in body and last_day in body
    assert "Olena Kovalenko" in body
    # The way back is in the staff member's language and is not printed.
    assert (
        f'<a href="/households/{household.id}" lang="sv">Tillbaka till hushåll UA 2026/002' in body
    )
    assert "nav" not in body.split("<main>")[1].split("</header>")[0]

    assert client.get(f"/households/{household.id}/summary?lang=de").status_code == 404


def _scenario(client: Any, token: str, **data: str) -> Any:
    return client.post("/manager/protection-end", data={"csrf_token": token, **data})


def test_the_end_of_protection_form_checks_its_fields_and_everything_follows(
    app: Flask,
    municipality: Municipality,
    coordinator: User,
    manager: User,
    july: date,
) -> None:
    client = web_client(app)
    token = sign_in(client, coordinator)
    assert _register(client, token).status_code == 303
    household = _household("UA 2026/002")

    boss = web_client(app)
    token = sign_in(boss, manager)
    page = _text(boss.get("/manager/protection-end"))
    assert "4 mars 2027" in page and "Inget eget beslut ännu" in page

    bad = _scenario(boss, token, protection_end="1 oktober", reason="")
    assert bad.status_code == 422
    body = _text(bad)
    assert 'id="protection_end-error"' in body and "1 oktober" in body
    assert 'id="reason-error"' in body
    empty = _scenario(boss, token, protection_end="", reason="EU-beslut")
    assert empty.status_code == 422
    assert "Ange första dagen utan skydd" in _text(empty)
    with tenant(db.session, municipality.id):
        alert = db.session.scalar(
            select(Task).where(
                Task.household_id == household.id, Task.key == "protection_end_alert"
            )
        )
        assert alert is not None
        before = alert.due_date

    saved = _scenario(boss, token, protection_end="2026-10-01", reason="EU:s rådsbeslut")
    assert saved.status_code == 303
    page = _text(boss.get(saved.headers["Location"]))
    assert "Sista dagen med skydd är nu 30 september 2026" in page
    assert "1 öppet hushåll räknades om" in page
    assert "1 förfallodatum flyttades" in page
    assert re.search(r"\d+ förväntade ersättningar ändrades", page)
    assert "EU:s rådsbeslut" in page and "Karin Chef" in page

    db.session.expire_all()
    with tenant(db.session, municipality.id):
        alert = db.session.get(Task, alert.id)
        assert alert is not None and alert.due_date != before
        assert alert.due_date == date(2026, 7, 1)
        last = db.session.scalar(
            select(ExpectedPayment.month)
            .where(
                ExpectedPayment.household_id == household.id,
                ExpectedPayment.kind.like("tp_daily%"),
            )
            .order_by(ExpectedPayment.month.desc())
        )
        assert last == date(2026, 9, 1)

    # The household page shows the new date and who decided it.
    household_page = _text(client.get(f"/households/{household.id}"))
    assert "30 sep. 2026" in household_page and "EU:s rådsbeslut" in household_page

    # Back to the rate files' date.
    restored = _scenario(boss, token, use_default="y", reason="Rådsbeslutet upphävt")
    assert restored.status_code == 303
    assert "4 mars 2027" in _text(boss.get("/manager/protection-end"))


def test_the_quotas_page_shows_allocated_against_used(
    app: Flask, municipality: Municipality, coordinator: User, manager: User, july: date
) -> None:
    client = web_client(app)
    token = sign_in(client, coordinator)
    assert _register(client, token).status_code == 303
    with tenant(db.session, municipality.id):
        reimbursements.set_allocation(2026, {"tp_places": 9}, manager)

    boss = web_client(app)
    token = sign_in(boss, manager)
    page = _text(boss.get("/manager/quotas"))
    section = page[page.index('id="year-2026"') : page.index('id="year-2027"')]
    figures = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]+)</td>', section))
    assert figures["Tilldelade platser"] == "9"
    assert figures["Inflyttade under året"] == "3"
    assert figures["Återstående platser"] == "6"
    assert figures["Anvisade personer"] == "0"
    assert 'id="year-2027"' in page and "Inte registrerat för 2027 än." in page

    refused = boss.post(
        "/manager/quotas/2026/kommuntal", data={"csrf_token": token, "persons": "-1"}
    )
    assert refused.status_code == 422
    assert 'id="kommuntal-2026-persons-error"' in _text(refused)
    saved = boss.post(
        "/manager/quotas/2026/kommuntal",
        data={"csrf_token": token, "persons": "3", "note": "Länsstyrelsen"},
    )
    assert saved.status_code == 303
    page = _text(boss.get("/manager/quotas"))
    section = page[page.index('id="year-2026"') : page.index('id="year-2027"')]
    figures = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]+)</td>', section))
    assert figures["Tilldelade personer"] == "3" and figures["Återstår"] == "3"
    assert "Länsstyrelsen" in section

    # A registration continues in a settlement case that counts towards the kommuntal.
    household = _household("UA 2026/002")
    olena = next(p for p in household.members if p.given_name == "Olena")
    with tenant(db.session, municipality.id):
        households.update_person(olena.id, {"registration_date": "2026-07-01"}, coordinator, july)
    page = _text(boss.get("/manager/quotas"))
    section = page[page.index('id="year-2026"') : page.index('id="year-2027"')]
    figures = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]+)</td>', section))
    assert figures["Anvisade personer"] == "1"
    assert figures["Av personerna: efter tillfälligt skydd"] == "1"

    # Beyond the quota, the page says by how much.
    boss.post("/manager/quotas/2026/kommuntal", data={"csrf_token": token, "persons": "0"})
    page = _text(boss.get("/manager/quotas"))
    section = page[page.index('id="year-2026"') : page.index('id="year-2027"')]
    figures = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]+)</td>', section))
    assert figures["Återstår"] == "1 över"


def test_the_new_pages_issue_a_bounded_number_of_queries(
    app: Flask, municipality: Municipality, coordinator: User, manager: User, july: date
) -> None:
    client = web_client(app)
    token = sign_in(client, coordinator)
    boss = web_client(app)
    boss_token = sign_in(boss, manager)

    def family(number: int, members: int) -> Household:
        data = {k: v for k, v in FORM.items() if not k.startswith("members-")}
        for i in range(members):
            data |= {
                f"members-{i}-given_name": f"Person{i}",
                f"members-{i}-family_name": f"Familj{number}",
                f"members-{i}-birth_date": f"19{70 + i}-03-0{1 + i % 9}",
                f"members-{i}-permit_date": "2025-06-01",
            }
        data |= {"member_count": str(members), "reference": f"UA 2026/{number:03d}"}
        response = client.post("/households/new", data={**data, "csrf_token": token})
        assert response.status_code == 303, _text(response)[:2000]
        return _household(f"UA 2026/{number:03d}")

    def register_first(household: Household) -> Household:
        person = household.members[0]
        client.post(
            f"/households/{household.id}/members/{person.id}",
            data={"csrf_token": token, "registration_date": "2026-07-01"},
        )
        return _household(f"{household.reference} F1")

    small = family(1, 2)
    small_case = register_first(small)
    _scenario(boss, boss_token, protection_end="2027-01-01", reason="Första")
    pages = [
        f"/households/{small.id}",
        f"/households/{small_case.id}",
        f"/households/{small.id}/summary?lang=uk",
    ]
    few = [queries_for(client, url) for url in pages]
    manager_pages = ("/manager/quotas", "/manager/protection-end")
    few_manager = [queries_for(boss, url) for url in manager_pages]

    big = family(2, 6)
    big_case = register_first(big)
    for n in range(3, 8):
        family(n, 3)
    for reason in ("Andra", "Tredje"):
        _scenario(boss, boss_token, protection_end="2027-02-01", reason=reason)
    pages = [
        f"/households/{big.id}",
        f"/households/{big_case.id}",
        f"/households/{big.id}/summary?lang=uk",
    ]
    many = [queries_for(client, url) for url in pages]
    many_manager = [
        queries_for(boss, url) for url in ("/manager/quotas", "/manager/protection-end")
    ]

    assert many == few, (few, many)
    assert many_manager == few_manager, (few_manager, many_manager)
    assert max(*many, *many_manager) <= 25
    print(f"\nqueries: household pages and summary {many}, quotas and scenario {many_manager}")
