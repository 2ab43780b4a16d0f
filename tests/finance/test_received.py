"""Received payments: by hand and from CSV files (all-or-nothing, duplicates refused)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from reception.demo import identity_number
from reception.extensions import db
from reception.models import PaymentImport, ReceivedPayment
from reception.models.tenancy import system
from reception.services.payment_file import CellError, parse_amount
from tests.conftest import ApiClient
from tests.finance.households import create, family

pytestmark = pytest.mark.usefixtures("frozen_today")

HEADER = "Utbetalningsdatum;Belopp;Ersättningstyp;Personnummer;Ärende;Period;Referens\n"


def upload(api: ApiClient, text: str, name: str = "spec.csv", encoding: str = "utf-8") -> Any:
    return api.client.post(
        "/api/v1/reimbursements/imports",
        data={"file": (io.BytesIO(text.encode(encoding)), name)},
        headers=api._headers(),
        content_type="multipart/form-data",
    )


def stored() -> tuple[int, int]:
    with system(db.session):
        return (
            db.session.scalar(select(func.count()).select_from(ReceivedPayment)) or 0,
            db.session.scalar(select(func.count()).select_from(PaymentImport)) or 0,
        )


@pytest.mark.parametrize(
    ("text", "kronor"),
    [
        ("165000", 165000),
        ("165 000", 165000),
        ("165\u00a0000,00", 165000),
        ("41 250,00", 41250),
        ("-5 000", -5000),
        ("20661.00", 20661),
    ],
)
def test_amounts_are_read_exactly(text: str, kronor: int) -> None:
    assert parse_amount(text) == kronor
    assert type(parse_amount(text)) is int


@pytest.mark.parametrize("text", ["41 250,50", "12,5", "1.234", "1,234,00", "abc", "0", "1e5"])
def test_amounts_that_are_not_whole_kronor_are_refused(text: str, app) -> None:
    with app.test_request_context(), pytest.raises(CellError):
        parse_amount(text)


def test_import_matches_people_and_case_references(api: ApiClient, finance: ApiClient) -> None:
    household = create(api, family())
    text = HEADER + (
        "2026-04-28;41 250,00;Etableringsschablon;19910115-1000;;2026-05;Utbetalning 1\n"
        "2026-04-28;41322;initiala kostnader;;KS 2026/042;2026-05;\n"
        "2026-04-28;90 000;fördelningstal;;;2026-01;Platser 2026\n"
        "2026-04-28;5000;etableringsschablon;19800101-1231;;2026-05;Okänd\n"
    )
    response = upload(finance, text)
    assert response.status_code == 201, response.get_json()
    batch = response.get_json()
    assert batch["row_count"] == 4
    assert batch["total_sek"] == 41250 + 41322 + 90000 + 5000

    detail = finance.get(f"/api/v1/reimbursements/imports/{batch['id']}").get_json()
    by_line = {p["import_line"]: p for p in detail["payments"]}
    rania = household["members"][0]
    assert by_line[2]["person_id"] == rania["id"]
    assert by_line[2]["household_id"] == household["id"]
    assert (by_line[3]["household_id"], by_line[3]["person_id"]) == (household["id"], None)
    assert (by_line[4]["household_id"], by_line[4]["kind"]) == (None, "tp_place")
    assert by_line[5]["identity"] == "19800101-1231" and by_line[5]["person_id"] is None


def test_a_bad_file_stores_nothing_and_names_every_row_and_column(finance: ApiClient) -> None:
    text = HEADER + (
        "2026-04-28;41 250;etableringsschablon;19800101-1231;;2026-05;ok\n"
        "2026-04-28;1 234,50;etableringsschablon;19800101-1231;;2026-05;öre\n"
        "2026-13-01;100;hyresbidrag;19800101-1230;;2026-5;\n"
        "2026-04-28;100;etableringsschablon;;;;\n"
    )
    response = upload(finance, text)
    assert response.status_code == 422
    body = response.get_json()
    fields = [e["field"] for e in body["errors"]]
    assert fields == [
        "rows[3].Belopp",
        "rows[4].Utbetalningsdatum",
        "rows[4].Ersättningstyp",
        "rows[4].Period",
        "rows[4].Personnummer",
        "rows[5].Personnummer",
    ]
    assert body["errors"][0]["error"].startswith("Rad 3, kolumn Belopp:")  # the user is sv
    assert "ören godtas inte" in body["errors"][0]["error"]
    assert stored() == (0, 0)


def test_header_and_separator_problems(finance: ApiClient) -> None:
    comma = upload(finance, "Utbetalningsdatum,Belopp,Ersättningstyp\n2026-04-28,1,tp_place\n")
    assert comma.status_code == 422 and comma.get_json()["field"] == "file"
    missing = upload(finance, "Utbetalningsdatum;Ersättningstyp\n2026-04-28;tp_place\n")
    assert missing.status_code == 422
    assert missing.get_json()["field"] == "rows[1].belopp"
    empty = upload(finance, HEADER)
    assert empty.status_code == 422 and empty.get_json()["field"] == "file"


def test_the_same_file_is_refused_the_second_time(finance: ApiClient) -> None:
    text = HEADER + "2026-04-28;90 000;fördelningstal;;;2026-01;\n"
    first = upload(finance, text, "januari.csv")
    assert first.status_code == 201
    again = upload(finance, text, "kopia.csv")
    assert again.status_code == 409
    assert "januari.csv" in again.get_json()["error"]
    assert stored() == (1, 1)

    # Withdrawing the import removes its payments and allows importing the file again.
    withdrawn = finance.delete(f"/api/v1/reimbursements/imports/{first.get_json()['id']}")
    assert withdrawn.status_code == 204
    assert stored() == (0, 0)
    assert upload(finance, text, "januari.csv").status_code == 201


def test_windows_1252_file_from_excel(finance: ApiClient) -> None:
    text = HEADER + "2026-04-28;90 000;fördelningstal;;;2026-01;Ersättning för platser\n"
    response = upload(finance, text, encoding="cp1252")
    assert response.status_code == 201, response.get_json()


def test_raw_csv_body_and_wrong_content(finance: ApiClient) -> None:
    text = HEADER + "2026-04-28;90 000;fördelningstal;;;2026-01;\n"
    response = finance.client.post(
        "/api/v1/reimbursements/imports?filename=body.csv",
        data=text.encode(),
        headers={**finance._headers(), "Content-Type": "text/csv"},
    )
    assert response.status_code == 201
    assert response.get_json()["filename"] == "body.csv"
    wrong = finance.post("/api/v1/reimbursements/imports", {"rows": []})
    assert wrong.status_code == 400 and wrong.get_json()["field"] == "file"


def test_manual_payment_crud(api: ApiClient, finance: ApiClient) -> None:
    household = create(api, family())
    body = {
        "paid_on": "2026-04-30",
        "amount_sek": "20 661",
        "kind": "initial_cost",
        "month": "2026-05",
        "personnummer": "19910115-1000",
        "reference": "Bankgiro",
    }
    response = finance.post("/api/v1/reimbursements/received", body)
    assert response.status_code == 201, response.get_json()
    payment = response.get_json()
    assert payment["amount_sek"] == 20661
    assert payment["person_id"] == household["members"][0]["id"]

    url = f"/api/v1/reimbursements/received/{payment['id']}"
    changed = finance.put(url, {**body, "amount_sek": 20000}, if_match=payment["version"])
    assert changed.status_code == 200 and changed.get_json()["amount_sek"] == 20000
    listed = finance.get("/api/v1/reimbursements/received?year=2026").get_json()
    assert listed["total"] == 1

    as_float = finance.put(url, {**body, "amount_sek": 20661.5}, if_match=changed.headers["ETag"])
    assert as_float.status_code == 422 and as_float.get_json()["field"] == "amount_sek"
    future = finance.post("/api/v1/reimbursements/received", {**body, "paid_on": "2026-06-01"})
    assert future.status_code == 422 and future.get_json()["field"] == "paid_on"
    mismatch = finance.post(
        "/api/v1/reimbursements/received", {**body, "case_reference": "KS 2099/001"}
    )
    assert mismatch.status_code == 201  # unknown case reference: the person decides

    assert finance.delete(url, if_match=changed.headers["ETag"]).status_code == 204
    assert finance.get(url).status_code == 404
    assert api.post("/api/v1/reimbursements/received", body).status_code == 403


def test_imported_payments_are_not_edited_one_by_one(finance: ApiClient) -> None:
    batch = upload(finance, HEADER + "2026-04-28;90 000;fördelningstal;;;2026-01;\n").get_json()
    payment = finance.get(f"/api/v1/reimbursements/imports/{batch['id']}").get_json()["payments"][0]
    url = f"/api/v1/reimbursements/received/{payment['id']}"
    response = finance.delete(url, if_match=payment["version"])
    assert response.status_code == 409 and response.get_json()["field"] == "import_id"


def test_a_payment_is_changed_only_with_the_version_read(finance: ApiClient) -> None:
    body = {"paid_on": "2026-04-30", "amount_sek": 90000, "kind": "tp_place", "month": "2026-01"}
    created = finance.post("/api/v1/reimbursements/received", body)
    assert created.status_code == 201 and created.headers["ETag"] == '"1"'
    url = created.headers["Location"].removeprefix("http://localhost")
    assert finance.get(url).headers["ETag"] == '"1"'

    for blind in (finance.put(url, {**body, "amount_sek": 1}), finance.delete(url)):
        assert blind.status_code == 428 and blind.get_json()["field"] == "version"
    assert finance.put("/api/v1/reimbursements/received/999999", body).status_code == 404

    first = finance.put(url, {**body, "amount_sek": 60000}, if_match='"1"')
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    stale = finance.put(url, {**body, "amount_sek": 30000}, if_match='"1"')
    assert stale.status_code == 409 and stale.get_json()["field"] == "version"
    assert stale.get_json()["current"]["amount_sek"] == 60000
    assert stale.headers["ETag"] == '"2"'
    stale_delete = finance.delete(url, if_match=1)
    assert stale_delete.status_code == 409 and stale_delete.get_json()["current"]["version"] == 2
    assert finance.get(url).get_json()["amount_sek"] == 60000
    assert finance.delete(url, if_match=2).status_code == 204
    assert stored() == (0, 0)


def test_received_payments_with_far_off_years(api: ApiClient, finance: ApiClient) -> None:
    listing = finance.get("/api/v1/reimbursements/received?year=99999")
    assert listing.status_code == 422 and listing.get_json()["field"] == "year"
    for body, field in [
        (
            {"paid_on": "2026-04-30", "amount_sek": 100, "kind": "tp_place", "month": "0000-01"},
            "month",
        ),
        (
            {"paid_on": "2026-04-30", "amount_sek": 100, "kind": "tp_place", "month": "9999-01"},
            "month",
        ),
        ({"paid_on": "2026-04-30", "amount_sek": 2**70, "kind": "tp_place"}, "amount_sek"),
    ]:
        response = finance.post("/api/v1/reimbursements/received", body)
        assert response.status_code == 422, (body, response.get_json())
        assert response.get_json()["field"] == field
    assert stored() == (0, 0)


def test_payment_file_with_far_off_dates_and_amounts(finance: ApiClient) -> None:
    text = HEADER + (
        "2026-04-28;100;fördelningstal;;;0000-01;\n"
        "0001-01-01;100;fördelningstal;;;2026-01;\n"
        "2026-04-28;99999999999999999999999;fördelningstal;;;2026-01;\n"
    )
    response = upload(finance, text)
    assert response.status_code == 422, response.get_json()
    fields = [e["field"] for e in response.get_json()["errors"]]
    assert fields == ["rows[2].Period", "rows[3].Utbetalningsdatum", "rows[4].Belopp"]
    assert stored() == (0, 0)


def test_a_large_file_matches_every_known_person(api: ApiClient, finance: ApiClient) -> None:
    """11 000 different identity numbers, looked up in several queries (IN lists of 5 000)."""
    household = create(api, family())
    unknown = [
        identity_number(date(1950, 1, 1) + timedelta(days=n // 900), n % 900 + 1)
        for n in range(11_000)
    ]
    known = "19910115-1000"
    lines = [
        f"2026-04-28;{100 + n};etableringsschablon;{pnr};;2026-05;\n"
        for n, pnr in enumerate([*unknown[:6000], known, *unknown[6000:]])
    ]
    response = upload(finance, HEADER + "".join(lines))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["row_count"] == 11_001
    with system(db.session):
        matched = db.session.scalars(
            select(ReceivedPayment).where(ReceivedPayment.person_id.is_not(None))
        ).all()
        total = db.session.scalar(select(func.sum(ReceivedPayment.amount_sek)))
    assert [(p.identity, p.import_line, p.amount_sek) for p in matched] == [(known, 6002, 6100)]
    assert matched[0].person_id == household["members"][0]["id"]
    assert total == sum(100 + n for n in range(11_001))


def test_withdrawing_an_import_leaves_other_payments(finance: ApiClient) -> None:
    first = upload(finance, HEADER + "2026-04-28;90 000;fördelningstal;;;2026-01;\n" * 3)
    second = upload(finance, HEADER + "2026-04-28;80 000;fördelningstal;;;2026-02;\n")
    manual = finance.post(
        "/api/v1/reimbursements/received",
        {"paid_on": "2026-04-30", "amount_sek": 100, "kind": "tp_place", "month": "2026-03"},
    )
    assert (first.status_code, second.status_code, manual.status_code) == (201, 201, 201)
    assert stored() == (5, 2)

    url = f"/api/v1/reimbursements/imports/{first.get_json()['id']}"
    assert finance.delete(url).status_code == 204
    assert finance.get(url).status_code == 404
    assert finance.delete(url).status_code == 404
    assert stored() == (2, 1)
    listed = finance.get("/api/v1/reimbursements/received?year=2026").get_json()
    assert sorted(p["amount_sek"] for p in listed["items"]) == [100, 80_000]
