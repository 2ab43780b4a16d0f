"""Expected payments through the API: hand-computed amounts, recomputation with history."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from sqlalchemy import select

from reception.extensions import db
from reception.models import ChangeEvent, Municipality
from reception.models.tenancy import system
from reception.services import accounts
from tests.conftest import ApiClient, token_for
from tests.finance.households import create, family

pytestmark = pytest.mark.usefixtures("frozen_today")


def schedule(api: ApiClient, household_id: int) -> list[dict[str, Any]]:
    response = api.get(f"/api/v1/households/{household_id}/reimbursements")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def totals(rows: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """(kind, month) -> kronor."""
    result: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        result[(row["kind"], row["month"])] += row["amount_sek"]
    return dict(result)


def test_acceptance_family_expects_initial_cost_and_establishment(
    api: ApiClient, finance: ApiClient
) -> None:
    household = create(api, family())
    rows = schedule(finance, household["id"])

    initial = [r for r in rows if r["kind"] == "initial_cost"]
    assert sorted(r["amount_sek"] for r in initial) == [10330, 10330, 20661, 20661]
    assert sum(r["amount_sek"] for r in initial) == 2 * 20661 + 2 * 10330 == 61982
    assert {r["month"] for r in initial} == {"2026-05"}

    establishment = [r for r in rows if r["kind"] == "establishment"]
    assert sum(r["amount_sek"] for r in establishment) == 4 * 165000 == 660000
    months = sorted({r["month"] for r in establishment})
    assert months == ["2026-05", "2026-11", "2027-05", "2027-11"]
    assert min(r["month"] for r in rows) == "2026-05"  # the month after the reception
    per_person: dict[int, int] = defaultdict(int)
    for row in establishment:
        per_person[row["person_id"]] += row["amount_sek"]
    assert sorted(per_person) == sorted(m["id"] for m in household["members"])
    assert set(per_person.values()) == {165000}

    first = next(r for r in establishment if r["month"] == "2026-05" and r["age_used"] == 35)
    assert first["amount_sek"] == 41250
    assert first["rate_year"] == 2026
    assert "165 000 kr" in first["rule"]
    assert all(type(r["amount_sek"]) is int for r in rows)


def test_person_at_the_age_limit_and_a_self_settled_adult(
    api: ApiClient, finance: ApiClient
) -> None:
    older = create(
        api,
        family(
            reference="KS 2026/050",
            members=[{"given_name": "Leila", "family_name": "Karimi", "birth_date": "1959-01-10"}],
        ),
    )
    rows = totals(schedule(finance, older["id"]))
    assert sum(v for (k, _m), v in rows.items() if k == "establishment") == 92600
    assert rows[("initial_cost", "2026-05")] == 12917

    self_settled = create(
        api,
        family(
            reference="KS 2026/051",
            workflow="self-settled",
            members=[{"given_name": "Nour", "family_name": "Haddad", "birth_date": "1985-05-05"}],
        ),
    )
    rows = totals(schedule(finance, self_settled["id"]))
    assert rows[("initial_cost", "2026-05")] == 4132
    assert sum(v for (k, _m), v in rows.items() if k == "establishment") == 165000


def test_moving_the_reception_date_moves_the_payments_in_place_with_history(
    api: ApiClient, finance: ApiClient
) -> None:
    household = create(api, family())
    before = schedule(finance, household["id"])
    with system(db.session):
        ids_before = set(
            db.session.scalars(
                select(ChangeEvent.entity_id).where(ChangeEvent.entity == "reimbursement")
            )
        )

    url = f"/api/v1/households/{household['id']}"
    response = api.patch(url, {"reception_date": "2026-06-03"}, if_match=api.etag(url))
    assert response.status_code == 200, response.get_json()
    after = schedule(finance, household["id"])

    assert len(after) == len(before)
    assert {r["month"] for r in after if r["kind"] == "initial_cost"} == {"2026-07"}
    assert sorted({r["month"] for r in after if r["kind"] == "establishment"}) == [
        "2026-07",
        "2027-01",
        "2027-07",
        "2028-01",
    ]
    assert sum(r["amount_sek"] for r in after) == sum(r["amount_sek"] for r in before)

    with system(db.session):
        events = db.session.scalars(
            select(ChangeEvent).where(
                ChangeEvent.entity == "reimbursement",
                ChangeEvent.household_id == household["id"],
                ChangeEvent.reason == "Mottagningsdatum ändrat",
            )
        ).all()
    removed = {(e.field, e.old_value) for e in events if e.new_value is None}
    added = {(e.field, e.new_value) for e in events if e.old_value is None}
    # Every old month is recorded as removed with its amount, every new one as added.
    assert ("initial_cost 2026-05", "20661") in removed
    assert ("establishment 2026-11", "41250") in removed
    assert ("initial_cost 2026-07", "20661") in added
    assert ("establishment 2028-01", "41250") in added
    assert len(removed) >= 1 and ids_before  # creation was recorded too


def test_corrected_birth_date_changes_amounts_in_place(api: ApiClient, finance: ApiClient) -> None:
    household = create(api, family())
    omar = next(m for m in household["members"] if m["given_name"] == "Omar")
    before = {
        (r["kind"], r["month"]): r
        for r in schedule(finance, household["id"])
        if r["person_id"] == omar["id"]
    }

    url = f"/api/v1/persons/{omar['id']}"
    response = api.patch(url, {"birth_date": "1959-01-10"}, if_match=api.etag(url))
    assert response.status_code == 200, response.get_json()
    after = {
        (r["kind"], r["month"]): r
        for r in schedule(finance, household["id"])
        if r["person_id"] == omar["id"]
    }
    assert after.keys() == before.keys()
    assert after[("initial_cost", "2026-05")]["amount_sek"] == 12917
    assert sum(r["amount_sek"] for k, r in after.items() if k[0] == "establishment") == 92600
    assert after[("establishment", "2026-05")]["age_used"] == 67

    with system(db.session):
        event = db.session.scalar(
            select(ChangeEvent).where(
                ChangeEvent.entity == "reimbursement",
                ChangeEvent.field == "initial_cost 2026-05",
                ChangeEvent.old_value == "20661",
            )
        )
    assert event is not None
    assert event.new_value == "12917"
    assert "Omar Al-Hassan" in event.reason


def test_household_without_reception_date_and_newborn_expect_nothing(
    api: ApiClient, finance: ApiClient
) -> None:
    # Another family: the same names would do, but not the same personnummer.
    others = [{k: v for k, v in m.items() if k != "personnummer"} for m in family()["members"]]
    waiting = create(api, family(reference="KS 2026/060", reception_date=None, members=others))
    assert schedule(finance, waiting["id"]) == []

    household = create(api, family())
    baby = api.post(
        f"/api/v1/households/{household['id']}/members",
        {"given_name": "Sara", "family_name": "Al-Hassan", "birth_date": "2026-04-25"},
    )
    assert baby.status_code == 201, baby.get_json()
    rows = schedule(finance, household["id"])
    assert baby.get_json()["id"] not in {r["person_id"] for r in rows}
    assert len({r["person_id"] for r in rows}) == 4


def test_forecast_has_every_month_with_exact_totals(api: ApiClient, finance: ApiClient) -> None:
    create(api, family())
    response = finance.get("/api/v1/reimbursements/forecast?year=2026")
    assert response.status_code == 200
    months = response.get_json()
    assert [m["month"] for m in months] == [f"2026-{n:02d}" for n in range(1, 13)]
    by_month = {m["month"]: m["amount_sek"] for m in months}
    assert by_month["2026-05"] == 61982 + 165000
    assert by_month["2026-11"] == 165000
    assert sum(by_month.values()) == 61982 + 2 * 165000
    assert by_month["2026-01"] == 0
    assert months[4]["by_kind"] == {"establishment": 165000, "initial_cost": 61982}

    bad = finance.get("/api/v1/reimbursements/forecast?year=twenty")
    assert bad.status_code == 422
    assert bad.get_json()["field"] == "year"
    assert finance.get("/api/v1/reimbursements/forecast").status_code == 422


def test_fordelningstal_places_are_a_municipality_payment(finance: ApiClient) -> None:
    response = finance.put("/api/v1/reimbursements/allocations/2026", {"tp_places": 9})
    assert response.status_code == 200, response.get_json()
    january = finance.get("/api/v1/reimbursements/forecast?year=2026").get_json()[0]
    assert january == {"month": "2026-01", "amount_sek": 90000, "by_kind": {"tp_place": 90000}}

    finance.put("/api/v1/reimbursements/allocations/2026", {"tp_places": 6})
    january = finance.get("/api/v1/reimbursements/forecast?year=2026").get_json()[0]
    assert january["amount_sek"] == 60000  # updated in place, not added

    bad = finance.put("/api/v1/reimbursements/allocations/2026", {"tp_places": -1})
    assert bad.status_code == 422 and bad.get_json()["field"] == "tp_places"
    too_early = finance.put("/api/v1/reimbursements/allocations/2024", {"tp_places": 3})
    assert too_early.status_code == 422 and too_early.get_json()["field"] == "year"


def test_only_finance_manager_and_admin_see_money(
    api: ApiClient, finance: ApiClient, municipality: Municipality, other_municipality, app
) -> None:
    household = create(api, family())
    url = f"/api/v1/households/{household['id']}/reimbursements"
    assert api.get(url).status_code == 403  # a coordinator
    manager = accounts.create_user(municipality, "chef@bracke.example", "Chef", ["manager"])
    assert ApiClient(app.test_client(), token_for(manager)).get(url).status_code == 200
    stranger = accounts.create_user(
        other_municipality, "ekonom@ragunda.example", "Ekonom", ["finance"]
    )
    assert ApiClient(app.test_client(), token_for(stranger)).get(url).status_code == 404
