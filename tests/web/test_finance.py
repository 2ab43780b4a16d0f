"""The finance pages over HTTP: forecast, household schedule, payments, imports, reconciliation.

The household is the hand-computed one of the issue: two adults (35, 33) and two children
(12, 4) received 2026-04-20 -> initial cost 2 x 20 661 + 2 x 10 330 = 61 982 kr in 2026-05
and 4 x 165 000 kr establishment in four instalments (2026-05, 2026-11, 2027-05, 2027-11).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import func, select

from reception.extensions import db
from reception.models import Household, Municipality, PaymentImport, ReceivedPayment, User
from reception.models.tenancy import system, tenant
from reception.services import accounts, households
from reception.services.finance_export import XLSX_TYPE
from tests.web.helpers import sign_in, web_client
from tests.web.test_query_counts import count_queries

TODAY = date(2026, 6, 15)  # May is over: its rows are due; November is not
HEADER = "Utbetalningsdatum;Belopp;Ersättningstyp;Personnummer;Ärende;Period;Referens\n"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel("2026-06-15 09:00 +02:00", tick=False):
        yield


@pytest.fixture()
def finance_user(municipality: Municipality) -> User:
    return accounts.create_user(municipality, "eva@bracke.example", "Eva Konom", ["finance"])


@pytest.fixture()
def manager(municipality: Municipality) -> User:
    return accounts.create_user(municipality, "karin@bracke.example", "Karin Holm", ["manager"])


def family(reference: str = "KS 2026/042", number: str = "19910115-1000") -> dict[str, Any]:
    return {
        "reference": reference,
        "workflow": "settlement-reception-centre",
        "assignment_date": "2026-03-10",
        "reception_date": "2026-04-20",
        "members": [
            {
                "given_name": "Rania",
                "family_name": "Al-Hassan",
                "birth_date": "1991-01-15",
                "personnummer": number,
            },
            {"given_name": "Omar", "family_name": "Al-Hassan", "birth_date": "1993-03-02"},
            {"given_name": "Lina", "family_name": "Al-Hassan", "birth_date": "2014-02-10"},
            {"given_name": "Yusuf", "family_name": "Al-Hassan", "birth_date": "2021-09-30"},
        ],
    }


@pytest.fixture()
def household(municipality: Municipality, coordinator: User) -> Household:
    with tenant(db.session, municipality.id):
        return households.create_household(family(), coordinator, TODAY)


@pytest.fixture()
def finance(app: Flask, finance_user: User) -> Any:
    client = web_client(app)
    client.token = sign_in(client, finance_user)
    return client


def text(response: Any) -> str:
    """The page as text: tags dropped, Babel's non-breaking spaces as plain spaces."""
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\u00a0", " ")


def stored() -> tuple[int, int]:
    with system(db.session):
        return (
            db.session.scalar(select(func.count()).select_from(ReceivedPayment)) or 0,
            db.session.scalar(select(func.count()).select_from(PaymentImport)) or 0,
        )


def upload(client: Any, content: str, name: str = "spec.csv") -> Any:
    return client.post(
        "/finance/imports",
        data={"csrf_token": client.token, "file": (io.BytesIO(content.encode()), name)},
        content_type="multipart/form-data",
    )


# --- forecast ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["finance", "manager"])
def test_forecast_shows_the_hand_computed_months(
    app: Flask, household: Household, finance_user: User, manager: User, role: str
) -> None:
    client = web_client(app)
    sign_in(client, finance_user if role == "finance" else manager)
    response = client.get("/finance/?year=2026")
    assert response.status_code == 200
    page = text(response)
    assert "Prognos 2026" in page
    # May: 4 x 41 250 establishment + 61 982 initial cost; November: 4 x 41 250.
    assert re.search(r"maj 2026 165 000 61 982 – – – 226 982", page), page
    assert re.search(r"november 2026 165 000 – – – – 165 000", page)
    assert "Summa 2026 330 000 61 982 0 0 0 391 982" in page
    assert "391 982 kr" in page  # the year's card
    assert 'href="/finance/?year=2025"' in response.get_data(as_text=True)
    assert "bar--100" in response.get_data(as_text=True)  # May is the largest month
    assert "style=" not in response.get_data(as_text=True)  # strict CSP: no inline styles


def test_finance_users_start_on_the_forecast(finance: Any) -> None:
    response = finance.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/finance/"


def test_a_bad_year_is_refused_with_a_message(finance: Any) -> None:
    response = finance.get("/finance/?year=12")
    assert response.status_code == 303
    assert "Måste vara minst 2000." in text(finance.get(response.headers["Location"]))


def test_forecast_and_reconciliation_export(finance: Any, household: Household) -> None:
    response = finance.get("/finance/forecast.xlsx?year=2026")
    assert response.status_code == 200
    assert response.content_type == XLSX_TYPE
    assert 'filename="schablon-prognos-2026.xlsx"' in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    may = next(row for row in sheet.iter_rows(values_only=True) if row[0] == "2026-05")
    assert may[1:3] == (165000, 61982) and may[-1] == 226982

    response = finance.get("/finance/forecast.csv?year=2026")
    assert response.content_type == "text/csv; charset=utf-8"
    assert "2026-05;165000;61982;0;0;0;226982" in response.get_data(as_text=True)

    response = finance.get("/finance/reconciliation.csv?year=2026")
    assert response.content_type == "text/csv; charset=utf-8"
    assert "schablon-avstamning-2026-per-2026-06-15.csv" in response.headers["Content-Disposition"]
    assert "KS 2026/042" in response.get_data(as_text=True)


# --- household schedule --------------------------------------------------------------------


def test_household_schedule_shows_rules_totals_and_payments(
    app: Flask, household: Household, finance: Any, manager: User
) -> None:
    upload(finance, HEADER + "2026-05-25;41 250;Etableringsschablon;19910115-1000;;2026-05;\n")
    for client in (finance, _signed_in(app, manager)):
        response = client.get(f"/finance/households/{household.id}")
        assert response.status_code == 200
        page = text(response)
        assert "Ersättningar för KS 2026/042" in page
        assert "etableringsschablon 2026, delbelopp 1/4: 0.25 × 165 000 kr" in page
        assert "Beloppsår 2026" in page and "ålder som används: 35" in page
        # Per person and kind: Rania 165 000 + 20 661; the household 660 000 + 61 982.
        assert "Rania Al-Hassan 165 000 20 661 185 661" in page
        assert "Hushåll 660 000 61 982 721 982" in page
        assert "721 982 kr" in page  # expected, in the card
        assert "Import, rad 2" in page  # the received payment, traced to its file row
    assert "Stämmer" in text(finance.get(f"/finance/households/{household.id}"))


def test_the_household_page_links_to_the_schedule_for_finance_only(
    app: Flask, household: Household, finance: Any, coordinator: User
) -> None:
    link = f'href="/finance/households/{household.id}"'
    assert link in finance.get(f"/households/{household.id}").get_data(as_text=True)
    assert link not in _signed_in(app, coordinator).get(f"/households/{household.id}").get_data(
        as_text=True
    )


def _signed_in(app: Flask, user: User) -> Any:
    client = web_client(app)
    client.token = sign_in(client, user)
    return client


# --- payments by hand ------------------------------------------------------------------------


def test_a_manual_payment_with_errors_shows_them_beside_the_fields(
    finance: Any, household: Household
) -> None:
    response = finance.post(
        "/finance/payments/new",
        data={
            "csrf_token": finance.token,
            "paid_on": "2026-07-01",
            "amount_sek": "41 250,50",
            "kind": "",
            "personnummer": "19910115-1001",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html
    for field, message in (
        ("paid_on", "Datumet ligger i framtiden."),
        ("amount_sek", "ören godtas inte"),
        ("kind", "Fältet måste fyllas i."),
        ("personnummer", "Inte ett giltigt personnummer eller samordningsnummer"),
    ):
        error = re.search(rf'id="{field}-error">(.*?)</p>', html, re.S)
        assert error and message in error.group(1), (field, error and error.group(1))
        assert f'aria-describedby="{field}-error"' in html or f'{field}-error"' in html
    assert 'value="41 250,50"' in html  # what was typed is kept
    assert stored() == (0, 0)


def test_a_manual_payment_is_recorded_corrected_and_deleted(
    finance: Any, household: Household
) -> None:
    response = finance.post(
        "/finance/payments/new",
        data={
            "csrf_token": finance.token,
            "paid_on": "2026-05-25",
            "amount_sek": "61 982",
            "kind": "initial_cost",
            "month": "2026-05",
            "case_reference": "KS 2026/042",
            "reference": "Kontoutdrag maj",
        },
    )
    assert response.status_code == 303, text(response)
    assert stored() == (1, 0)
    listing = finance.get("/finance/payments?year=2026")
    page = text(listing)
    assert "KS 2026/042" in page and "61 982" in page and "Kontoutdrag maj" in page
    with system(db.session):
        payment_id = db.session.scalar(select(ReceivedPayment.id))

    form = finance.get(f"/finance/payments/{payment_id}/edit").get_data(as_text=True)
    assert 'value="KS 2026/042"' in form and 'value="61982"' in form
    response = finance.post(
        f"/finance/payments/{payment_id}/edit",
        data={
            "csrf_token": finance.token,
            "paid_on": "2026-05-25",
            "amount_sek": "61 000",
            "kind": "initial_cost",
            "month": "2026-05",
            "case_reference": "KS 2026/042",
        },
    )
    assert response.status_code == 303
    assert "61 000" in text(finance.get("/finance/payments"))

    response = finance.post(
        f"/finance/payments/{payment_id}/delete", data={"csrf_token": finance.token}
    )
    assert response.status_code == 303
    assert stored() == (0, 0)


def test_managers_read_payments_but_cannot_enter_them(
    app: Flask, manager: User, household: Household
) -> None:
    client = _signed_in(app, manager)
    assert client.get("/finance/payments").status_code == 200
    assert "Registrera en inbetalning" not in text(client.get("/finance/payments"))
    assert client.get("/finance/payments/new").status_code == 403


# --- imports ---------------------------------------------------------------------------------


def test_an_import_with_bad_rows_is_refused_whole_with_every_error(
    finance: Any, household: Household
) -> None:
    content = HEADER + (
        "2026-05-25;41 250;Etableringsschablon;19910115-1000;;2026-05;OK\n"
        "2026-05-25;41 250,50;Etableringsschablon;19910115-1000;;2026-05;\n"
        "2026-13-01;1000;Okänd typ;;KS 2026/042;;\n"
    )
    response = upload(finance, content)
    assert response.status_code == 422
    page = text(response)
    assert "Filen importerades inte: 3 fel. Ingenting sparades." in page
    assert "3 Belopp Rad 3, kolumn Belopp: Beloppen anges i hela kronor" in page
    assert "4 Utbetalningsdatum" in page and "4 Ersättningstyp" in page
    assert "4 Period" not in page  # an empty period is allowed
    assert stored() == (0, 0)


def test_an_import_is_accepted_listed_refused_twice_and_withdrawn(
    finance: Any, household: Household
) -> None:
    content = HEADER + (
        "2026-05-25;41 250;Etableringsschablon;19910115-1000;;2026-05;Delbelopp 1\n"
        "2026-05-25;61 982;Initiala kostnader;;KS 2026/042;2026-05;\n"
    )
    response = upload(finance, content, "maj.csv")
    assert response.status_code == 303
    detail = finance.get(response.headers["Location"])
    assert "maj.csv är importerad: 2 inbetalningar, 103 232 kr." in text(detail)
    assert "Rania Al-Hassan" in text(detail)
    assert stored() == (2, 1)
    assert "maj.csv" in text(finance.get("/finance/imports"))

    again = upload(finance, content, "maj-igen.csv")
    assert again.status_code == 409
    assert "Filen importerades redan" in text(again) or "redan importerad" in text(again)
    assert stored() == (2, 1)

    with system(db.session):
        import_id = db.session.scalar(select(PaymentImport.id))
    response = finance.post(
        f"/finance/imports/{import_id}/withdraw", data={"csrf_token": finance.token}
    )
    assert response.status_code == 303
    assert "maj.csv är återkallad: 2 inbetalningar borttagna." in text(
        finance.get(response.headers["Location"])
    )
    assert stored() == (0, 0)


def test_an_import_without_a_file_says_so(finance: Any) -> None:
    response = finance.post(
        "/finance/imports", data={"csrf_token": finance.token}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "Välj CSV-filen som ska importeras." in text(response)


# --- reconciliation --------------------------------------------------------------------------


def test_reconciliation_shows_every_status_with_its_difference(
    app: Flask, finance: Any, household: Household, manager: User
) -> None:
    content = HEADER + (
        # Rania's own instalment: matched.
        "2026-05-25;41 250;Etableringsschablon;19910115-1000;;2026-05;\n"
        # By case: Omar in full, Lina 36 250 of 41 250, Yusuf nothing.
        "2026-05-25;77 500;Etableringsschablon;;KS 2026/042;2026-05;\n"
        # By case, 1 000 too much: the last member's row shows it as overpaid.
        "2026-05-25;62 982;Initiala kostnader;;KS 2026/042;2026-05;\n"
        # Someone Mottagning does not know.
        "2026-05-25;5 000;Etableringsschablon;19800101-1231;;2026-05;\n"
    )
    assert upload(finance, content).status_code == 303
    for client in (finance, _signed_in(app, manager)):
        response = client.get("/finance/reconciliation?year=2026")
        assert response.status_code == 200
        page = text(response)
        for status, count, difference in (
            ("Obetald", 1, "-41 250"),
            ("Delvis betald", 1, "-5 000"),
            ("Överbetald", 1, "+1 000"),
            ("Oväntad utbetalning", 1, "+5 000"),
            ("Stämmer", 5, "0"),
            ("Inte förfallen än", 4, "-165 000"),
        ):
            assert f"{status} {count} {difference}" in page, status
        assert "46 250 kr" in page  # missing: 41 250 unpaid + 5 000 short
        assert "6 000 kr" in page  # more than expected: 1 000 over + 5 000 unexpected

    short = text(finance.get("/finance/reconciliation?year=2026&status=partly_paid"))
    assert "Rader: Delvis betald" in short
    assert "Lina Al-Hassan" in short and "Omar Al-Hassan" not in short
    assert "utbetalt på 19800101-1231" in text(
        finance.get("/finance/reconciliation?year=2026&status=unexpected")
    )


# --- fördelningstal --------------------------------------------------------------------------


def test_allocation_is_entered_and_shows_in_the_forecast(finance: Any) -> None:
    response = finance.post(
        "/finance/allocations",
        data={"csrf_token": finance.token, "year": "2026", "tp_places": "nio"},
    )
    assert response.status_code == 422
    assert re.search(r'id="tp_places-error">.*?heltal', response.get_data(as_text=True), re.S)

    response = finance.post(
        "/finance/allocations",
        data={"csrf_token": finance.token, "year": "2026", "tp_places": "9", "note": "Beslut"},
    )
    assert response.status_code == 303
    assert "9 platser, 90 000 kr förväntas i januari" in text(finance.get("/finance/allocations"))
    assert re.search(r"januari 2026 – – 90 000 – – 90 000", text(finance.get("/finance/")))


# --- queries ---------------------------------------------------------------------------------


def test_forecast_and_reconciliation_issue_a_bounded_number_of_queries(
    app: Flask, municipality: Municipality, coordinator: User, finance: Any
) -> None:
    def add(start: int, n: int) -> None:
        with tenant(db.session, municipality.id):
            for i in range(start, start + n):
                households.create_household(
                    family(f"KS 2026/{i:03d}", number=""), coordinator, TODAY
                )

    def queries(url: str) -> int:
        with count_queries() as statements:
            assert finance.get(url).status_code == 200
        return len(statements)

    urls = ("/finance/?year=2026", "/finance/reconciliation?year=2026")
    add(0, 2)
    few = {url: queries(url) for url in urls}
    add(2, 10)
    many = {url: queries(url) for url in urls}
    assert many == few, (few, many)
    assert max(many.values()) <= 12
    print(f"\nqueries: forecast {many[urls[0]]}, reconciliation {many[urls[1]]}")
