"""The end of temporary protection as a manager's scenario; quotas; the family's summary."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from reception.engine.reimbursement import sum_by_month
from reception.extensions import db
from reception.models import ChangeEvent, Municipality, User
from reception.models.tenancy import tenant
from reception.services import accounts, reimbursements
from tests.conftest import ApiClient, token_for

FAMILY: dict[str, Any] = {
    "reference": "UA 2026/002",
    "workflow": "temporary-protection-housing",
    "assignment_date": "2026-01-05",
    "move_in_date": "2026-01-15",
    "members": [
        {
            "given_name": "Olena",
            "family_name": "Kovalenko",
            "birth_date": "1988-04-12",
            "permit_date": "2025-06-25",
        },
        {"given_name": "Taras", "family_name": "Kovalenko", "birth_date": "2015-05-20"},
        {"given_name": "Daryna", "family_name": "Kovalenko", "birth_date": "2019-09-02"},
    ],
}


@pytest.fixture()
def may() -> Iterator[date]:
    with time_machine.travel("2026-05-04 09:00 +02:00", tick=False):
        yield date(2026, 5, 4)


@pytest.fixture()
def manager_user(municipality: Municipality) -> User:
    return accounts.create_user(municipality, "chef@bracke.example", "Karin Holm", ["manager"])


@pytest.fixture()
def manager(app: Flask, manager_user: User) -> ApiClient:
    return ApiClient(app.test_client(), token_for(manager_user))


def alert(api: ApiClient, household_id: int) -> dict[str, Any]:
    items = api.get(f"/api/v1/households/{household_id}/tasks").get_json()
    (task,) = [t for t in items if t["key"] == "protection_end_alert"]
    return task


def daily(municipality: Municipality, household_id: int) -> dict[date, int]:
    with tenant(db.session, municipality.id):
        rows = reimbursements.expected_for_household(household_id)
        return sum_by_month(r for r in rows if r.kind == "tp_daily")  # type: ignore[misc]


def test_an_earlier_end_moves_alerts_and_cuts_payments(
    api: ApiClient, manager: ApiClient, may: date, municipality: Municipality
) -> None:
    household = api.post("/api/v1/households", FAMILY).get_json()
    assert alert(api, household["id"])["due_date"] == "2026-12-05"
    assert max(daily(municipality, household["id"])) == date(2027, 3, 1)

    current = api.get("/api/v1/protection-end").get_json()
    assert current["protection_end"] == "2027-03-05"
    assert current["last_protected_day"] == "2027-03-04"
    assert current["scenario"] is None

    # Coordinators cannot decide it; a manager must say why.
    assert api.put("/api/v1/protection-end", {"protection_end": "2026-10-01"}).status_code == 403
    missing = manager.put("/api/v1/protection-end", {"protection_end": "2026-10-01"})
    assert missing.status_code == 422 and missing.get_json()["field"] == "reason"
    bad = manager.put("/api/v1/protection-end", {"protection_end": "1 okt", "reason": "x"})
    assert bad.status_code == 422 and bad.get_json()["field"] == "protection_end"

    response = manager.put(
        "/api/v1/protection-end",
        {"protection_end": "2026-10-01", "reason": "EU:s rådsbeslut om upphörande"},
    )
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert result["protection_end"] == "2026-10-01"
    assert result["last_protected_day"] == "2026-09-30"
    assert result["households_recomputed"] == 1
    assert [m["new_due_date"] for m in result["moved"] if m["key"] == "protection_end_alert"] == [
        "2026-07-01"
    ]

    assert alert(api, household["id"])["due_date"] == "2026-07-01"
    payments = daily(municipality, household["id"])
    assert max(payments) == date(2026, 9, 1)
    assert payments[date(2026, 9, 1)] == 30 * 300 + 2 * 30 * 150  # up to and including 09-30

    with tenant(db.session, municipality.id):
        recorded = db.session.scalars(
            select(ChangeEvent).where(
                ChangeEvent.household_id == household["id"], ChangeEvent.field == "protection_end"
            )
        ).all()
    assert [(e.old_value, e.new_value) for e in recorded] == [("2027-03-05", "2026-10-01")]
    assert "EU:s rådsbeslut" in recorded[0].reason

    # Back to the date in the rate files; the scenario history keeps both decisions.
    back = manager.put(
        "/api/v1/protection-end", {"protection_end": None, "reason": "Beslutet upphävt"}
    )
    assert back.status_code == 200
    assert alert(api, household["id"])["due_date"] == "2026-12-05"
    listed = api.get("/api/v1/protection-end").get_json()
    assert [s["protection_end"] for s in listed["history"]] == [None, "2026-10-01"]
    assert listed["history"][0]["set_by"] == "Karin Holm"


def test_closed_households_payments_follow_and_every_change_is_counted(
    api: ApiClient, manager: ApiClient, may: date, municipality: Municipality
) -> None:
    open_case = api.post("/api/v1/households", FAMILY).get_json()
    single = {**FAMILY, "reference": "UA 2026/003", "members": FAMILY["members"][:1]}
    closed_case = api.post("/api/v1/households", single).get_json()
    closing = api.post(
        f"/api/v1/households/{closed_case['id']}/close",
        {"reason": "Flyttat", "closed_on": "2026-05-01"},
    )
    assert closing.status_code == 200, closing.get_json()
    before = {h["id"]: daily(municipality, h["id"]) for h in (open_case, closed_case)}

    response = manager.put(
        "/api/v1/protection-end", {"protection_end": "2026-10-01", "reason": "Upphör"}
    )
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert result["households_recomputed"] == 1  # the open one; the closed one's ledger only
    after = {h["id"]: daily(municipality, h["id"]) for h in (open_case, closed_case)}
    for household_id in after:
        assert max(after[household_id]) == date(2026, 9, 1)
    # Oct 2026 - Mar 2027 gone for four people (three in one case, one in the other).
    removed = [date(2026, m, 1) for m in (10, 11, 12)] + [date(2027, m, 1) for m in (1, 2, 3)]
    assert all(set(removed) <= set(before[h]) for h in before)
    assert result["payments_changed"] == 4 * len(removed)


def test_quotas_allocated_against_used(
    api: ApiClient, manager: ApiClient, may: date, municipality: Municipality
) -> None:
    with tenant(db.session, municipality.id):
        reimbursements.set_allocation(2026, {"tp_places": 9}, None)
    api.post("/api/v1/households", FAMILY)
    earlier = {
        **FAMILY,
        "reference": "UA 2025/017",
        "assignment_date": "2025-09-01",
        "move_in_date": "2025-09-10",
        "members": FAMILY["members"][:1],
    }
    assert api.post("/api/v1/households", earlier).status_code == 201
    api.post(
        "/api/v1/households",
        {
            "reference": "KS 2026/010",
            "workflow": "settlement-reception-centre",
            "assignment_date": "2026-02-01",
            "members": [
                {"given_name": "Farid", "family_name": "Rahimi", "birth_date": "2001-02-03"}
            ],
        },
    )

    assert api.get("/api/v1/quotas/2026").status_code == 403  # coordinators do not see quotas
    assert manager.put("/api/v1/quotas/2026/kommuntal", {"persons": -1}).status_code == 422
    response = manager.put("/api/v1/quotas/2026/kommuntal", {"persons": 3, "note": "omfördelat"})
    assert response.status_code == 200, response.get_json()
    quota = response.get_json()
    assert quota["fordelningstal"] == {"allocated": 9, "used": 3, "housed": 4, "remaining": 6}
    assert quota["kommuntal"] == {
        "allocated": 3,
        "persons": 1,
        "households": 1,
        "from_temporary_protection": 0,
        "remaining": 2,
    }
    assert manager.get("/api/v1/quotas/1999").status_code == 422


def test_summary_for_the_family_in_three_languages(api: ApiClient, may: date) -> None:
    household = api.post("/api/v1/households", FAMILY).get_json()
    url = f"/api/v1/households/{household['id']}/summary"

    uk = api.get(f"{url}?lang=uk")
    assert uk.status_code == 200
    assert uk.mimetype == "text/html"
    page = uk.get_data(as_text=True)
    assert '<html lang="uk">' in page
    assert "<h1>Наступні кроки для вашої родини</h1>" in page
    assert "Останній день тимчасового захисту" in page
    assert "4 березня 2027" in page  # the last protected day, written in Ukrainian
    assert "Olena: подати заяву на курси шведської мови (SFI)" in page
    assert "@media print" in page

    sv = api.get(f"{url}?lang=sv").get_data(as_text=True)
    assert '<html lang="sv">' in sv and "4 mars 2027" in sv
    en = api.get(f"{url}?lang=en").get_data(as_text=True)
    assert "Next steps for your family" in en and "March 4, 2027" in en

    wrong = api.get(f"{url}?lang=de")
    assert wrong.status_code == 422 and wrong.get_json()["field"] == "lang"
    assert api.get("/api/v1/households/999999/summary").status_code == 404


def test_other_municipalities_see_nothing(
    app: Flask, api: ApiClient, may: date, other_municipality: Municipality
) -> None:
    household = api.post("/api/v1/households", FAMILY).get_json()
    stranger = accounts.create_user(
        other_municipality, "lena@ragunda.example", "Lena Östlund", ["coordinator", "manager"]
    )
    other = ApiClient(app.test_client(), token_for(stranger))
    for url in (
        f"/api/v1/households/{household['id']}/chain",
        f"/api/v1/households/{household['id']}/summary?lang=uk",
    ):
        assert other.get(url).status_code == 404, url
    # Another municipality's scenario leaves this one's households alone.
    changed = other.put(
        "/api/v1/protection-end", {"protection_end": "2026-10-01", "reason": "Ragunda"}
    )
    assert changed.get_json()["households_recomputed"] == 0
    assert alert(api, household["id"])["due_date"] == "2026-12-05"
    assert api.get("/api/v1/protection-end").get_json()["scenario"] is None
