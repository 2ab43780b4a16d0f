"""Matching received against expected, and the exports of both tables."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from reception.models import User
from reception.services import households, payments
from reception.services.reconciliation import MatchStatus, reconcile
from tests.conftest import ApiClient
from tests.finance.households import create, family

pytestmark = pytest.mark.usefixtures("frozen_today")


def pay(actor: User, amount: int, kind: str, month: str, **owner: str) -> None:
    payments.add_payment(
        {"paid_on": "2026-04-30", "amount_sek": amount, "kind": kind, "month": month, **owner},
        actor,
        date(2026, 5, 1),
    )


@pytest.fixture()
def ledger(api: ApiClient, finance_user: User, in_tenant) -> dict:
    """The acceptance family with one full, one short and two missing instalments in May,
    the adults' initial cost paid on the case reference, and one unknown payer."""
    household = create(api, family())
    omar = household["members"][1]
    omar_pnr = "19930302-1233"
    households.update_person(omar["id"], {"personnummer": omar_pnr}, finance_user, date(2026, 5, 1))
    pay(finance_user, 41250, "establishment", "2026-05", personnummer="19910115-1000")
    pay(finance_user, 40000, "establishment", "2026-05", personnummer=omar_pnr)
    pay(finance_user, 41322, "initial_cost", "2026-05", case_reference="KS 2026/042")
    pay(finance_user, 11000, "initial_cost", "2026-05", case_reference="KS 2026/042")
    pay(finance_user, 9999, "establishment", "2026-05", personnummer="19800101-1231")
    return household


def test_statuses_and_totals(ledger: dict) -> None:
    result = reconcile(2026, date(2026, 6, 15), household_id=None)
    rows = {(r.person_name or r.identity, r.kind, f"{r.month:%Y-%m}"): r for r in result.rows}

    assert rows[("Rania Al-Hassan", "establishment", "2026-05")].status == MatchStatus.MATCHED
    short = rows[("Omar Al-Hassan", "establishment", "2026-05")]
    assert (short.status, short.difference_sek) == (MatchStatus.PARTLY_PAID, -1250)
    assert rows[("Lina Al-Hassan", "establishment", "2026-05")].status == MatchStatus.UNPAID
    assert rows[("Yusuf Al-Hassan", "establishment", "2026-05")].status == MatchStatus.UNPAID
    # 41 322 + 11 000 on the case reference: the adults first (born first), then the children.
    initial = {
        name: rows[(name, "initial_cost", "2026-05")]
        for name in ("Rania Al-Hassan", "Omar Al-Hassan", "Lina Al-Hassan", "Yusuf Al-Hassan")
    }
    assert [r.received_sek for r in initial.values()] == [20661, 20661, 10330, 670]
    assert initial["Yusuf Al-Hassan"].status == MatchStatus.PARTLY_PAID
    unknown = rows[("19800101-1231", "establishment", "2026-05")]
    assert (unknown.status, unknown.received_sek) == (MatchStatus.UNEXPECTED, 9999)
    assert rows[("Rania Al-Hassan", "establishment", "2026-11")].status == MatchStatus.NOT_DUE

    assert result.expected_sek == 61982 + 2 * 165000
    assert result.received_sek == 41250 + 40000 + 41322 + 11000 + 9999
    assert result.difference_sek == result.received_sek - result.expected_sek
    assert result.counts[MatchStatus.UNPAID] == 2
    assert result.differences[MatchStatus.UNPAID] == -2 * 41250

    # The same May rows are not yet overdue while May is still running.
    early = reconcile(2026, date(2026, 5, 20))
    assert {r.status for r in early.rows if r.received_sek == 0} == {MatchStatus.NOT_DUE}


def test_reconciliation_api_and_exports(ledger: dict, finance: ApiClient) -> None:
    response = finance.get("/api/v1/reimbursements/reconciliation?year=2026")
    assert response.status_code == 200
    body = response.get_json()
    assert body["expected_sek"] == 391982
    assert {r["status"] for r in body["rows"]} >= {"matched", "partly_paid", "unexpected"}
    url = f"/api/v1/reimbursements/reconciliation?year=2026&household_id={ledger['id']}"
    one = finance.get(url)
    assert all(r["household_id"] == ledger["id"] for r in one.get_json()["rows"])

    xlsx = finance.get("/api/v1/reimbursements/reconciliation.xlsx?year=2026")
    assert xlsx.status_code == 200
    assert xlsx.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert (
        'filename="schablon-avstamning-2026-per-2026-05-01.xlsx"'
        in xlsx.headers["Content-Disposition"]
    )
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][5] == "Förväntat (kr)"  # headings in the user's language
    assert values[-1][5:8] == (391982, 143571, 143571 - 391982)
    assert all(type(v) is int for row in values[1:] for v in row[5:8])

    text = finance.get("/api/v1/reimbursements/reconciliation.csv?year=2026")
    assert text.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert text.data.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(text.data.decode("utf-8-sig")), delimiter=";"))
    assert lines[-1][5:8] == ["391982", "143571", str(143571 - 391982)]


def test_forecast_exports(api: ApiClient, finance: ApiClient) -> None:
    create(api, family())
    xlsx = finance.get("/api/v1/reimbursements/forecast.xlsx?year=2026")
    assert 'filename="schablon-prognos-2026.xlsx"' in xlsx.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 12 + 1
    may = rows[5]
    assert may[0] == "2026-05" and may[-1] == 226982
    assert rows[-1][-1] == 61982 + 2 * 165000

    text = finance.get("/api/v1/reimbursements/forecast.csv?year=2026")
    lines = list(csv.reader(io.StringIO(text.data.decode("utf-8-sig")), delimiter=";"))
    assert lines[5][0] == "2026-05" and lines[5][-1] == "226982"
    assert api.get("/api/v1/reimbursements/forecast.csv?year=2026").status_code == 403
