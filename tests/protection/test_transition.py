"""Temporary protection worked out by hand: planning, the transition at registration, payments.

The family: one adult (Olena, born 1988-04-12) and two children (Taras 2015-05-20, Daryna
2019-09-02), assigned to Bräcke's housing under LMA on 2026-01-05, moving in on 2026-01-15,
permits granted 2025-06-25, everyone registered (folkbokförd) on 2026-07-01.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from reception.demo import identity_number
from reception.engine.reimbursement import sum_by_month
from reception.extensions import db
from reception.models import ChangeEvent, Household, Municipality, Person
from reception.models.tenancy import tenant
from reception.services import reimbursements
from tests.conftest import ApiClient

ADULT, SON, DAUGHTER = date(1988, 4, 12), date(2015, 5, 20), date(2019, 9, 2)


@pytest.fixture()
def july() -> Iterator[date]:
    with time_machine.travel("2026-07-10 09:00 +02:00", tick=False):
        yield date(2026, 7, 10)


def tp_family(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": "UA 2026/001",
        "workflow": "temporary-protection-housing",
        "assignment_date": "2026-01-05",
        "move_in_date": "2026-01-15",
        "members": [
            {
                "given_name": "Olena",
                "family_name": "Kovalenko",
                "birth_date": ADULT.isoformat(),
                "personnummer": identity_number(ADULT, 101, coordination=True),
                "permit_date": "2025-06-25",
                "samordningsnummer_date": "2025-06-25",
            },
            {
                "given_name": "Taras",
                "family_name": "Kovalenko",
                "birth_date": SON.isoformat(),
                "permit_date": "2025-06-25",
            },
            {
                "given_name": "Daryna",
                "family_name": "Kovalenko",
                "birth_date": DAUGHTER.isoformat(),
                "permit_date": "2025-06-25",
            },
        ],
    }
    body.update(overrides)
    return body


def tasks(api: ApiClient, household_id: int) -> dict[str, list[dict[str, Any]]]:
    response = api.get(f"/api/v1/households/{household_id}/tasks")
    assert response.status_code == 200, response.get_json()
    grouped: dict[str, list[dict[str, Any]]] = {}
    for task in response.get_json():
        grouped.setdefault(task["key"], []).append(task)
    return grouped


def dues(items: list[dict[str, Any]]) -> list[str | None]:
    return sorted(t["due_date"] for t in items)


def expected(municipality: Municipality, household_id: int, kind: str) -> dict[date, int]:
    with tenant(db.session, municipality.id):
        rows = reimbursements.expected_for_household(household_id)
        return sum_by_month(r for r in rows if r.kind == kind)  # type: ignore[misc]


def register_everyone(api: ApiClient, household: dict[str, Any], on: str) -> list[dict]:
    results = []
    for serial, member in enumerate(household["members"], start=301):
        birth = date.fromisoformat(member["birth_date"])
        url = f"/api/v1/persons/{member['id']}"
        response = api.patch(
            url,
            {"registration_date": on, "personnummer": identity_number(birth, serial)},
            if_match=api.etag(url),
        )
        assert response.status_code == 200, response.get_json()
        results.append(response.get_json())
    return results


def test_planning_under_temporary_protection(api: ApiClient, july: date) -> None:
    created = api.post("/api/v1/households", tp_family())
    assert created.status_code == 201, created.get_json()
    household = created.get_json()
    assert household["move_in_date"] == "2026-01-15"
    olena = next(m for m in household["members"] if m["given_name"] == "Olena")
    # Permit 2025-06-25 + 12 months (rates/temporary-protection registration_after_months).
    assert olena["registration_eligible_date"] == "2026-06-25"

    planned = tasks(api, household["id"])
    assert dues(planned["housing"]) == ["2026-02-02"]  # assignment + 4 weeks
    assert dues(planned["move_in"]) == ["2026-01-15"]
    assert dues(planned["school_enrolment"]) == ["2026-02-15", "2026-02-15"]
    assert dues(planned["sfi_application"]) == ["2026-01-29"]
    # Thursday 2026-06-25, a working day: no roll.
    assert dues(planned["registration_application"]) == ["2026-06-25"] * 3
    # The first day without protection is 2027-03-05 (permits valid through 2027-03-04).
    assert dues(planned["protection_end_alert"]) == ["2026-12-05"]


def test_registration_moves_the_family_to_the_settlement_workflow(
    api: ApiClient, july: date, municipality: Municipality
) -> None:
    household = api.post("/api/v1/households", tp_family()).get_json()
    tp_id = household["id"]

    # Before registration: 15 000 kr each in January, daily compensation up to protection end.
    assert expected(municipality, tp_id, "tp_move_in") == {date(2026, 1, 1): 45_000}
    daily = expected(municipality, tp_id, "tp_daily")
    assert daily[date(2026, 1, 1)] == 17 * 300 + 2 * 17 * 150
    assert max(daily) == date(2027, 3, 1)

    registered = register_everyone(api, household, "2026-07-01")
    # The personnummer belongs to the settlement record; the samordningsnummer stays.
    olena = next(p for p in registered if p["given_name"] == "Olena")
    assert olena["personnummer"] is None
    assert olena["samordningsnummer"] is not None

    old = tasks(api, tp_id)
    for key in ("registration_application", "school_enrolment", "sfi_application"):
        assert {t["status"] for t in old[key]} == {"withdrawn"}, key
    assert {t["status"] for t in old["protection_end_alert"]} == {"withdrawn"}
    closed = api.get(f"/api/v1/households/{tp_id}").get_json()
    assert closed["status"] == "closed"
    assert closed["closed_on"] == "2026-07-01"

    # Daily compensation: the last paid day is 2026-06-30.
    assert expected(municipality, tp_id, "tp_daily") == {
        date(2026, 1, 1): 17 * 300 + 2 * 17 * 150,  # 10 200
        date(2026, 2, 1): 28 * 300 + 2 * 28 * 150,  # 16 800
        date(2026, 3, 1): 31 * 300 + 2 * 31 * 150,  # 18 600
        date(2026, 4, 1): 30 * 300 + 2 * 30 * 150,  # 18 000
        date(2026, 5, 1): 31 * 600,
        date(2026, 6, 1): 30 * 600,
    }

    chain = api.get(f"/api/v1/households/{tp_id}/chain").get_json()
    assert [h["reference"] for h in chain["households"]] == ["UA 2026/001", "UA 2026/001 F1"]
    case = chain["households"][1]
    assert case["previous_household_id"] == tp_id
    assert case["workflow"] == "settlement-reception-centre"
    assert case["assignment_date"] == case["reception_date"] == "2026-07-01"
    assert case["coordinator_id"] == household["coordinator_id"]
    assert len(case["members"]) == 3
    assert {p["previous_person_id"] for p in case["members"]} == {
        m["id"] for m in household["members"]
    }
    assert {e["household_id"] for e in chain["history"]} == {tp_id, case["id"]}
    # The chain reads the same from either end.
    from_case = api.get(f"/api/v1/households/{case['id']}/chain").get_json()
    assert [h["id"] for h in from_case["households"]] == [tp_id, case["id"]]

    new = tasks(api, case["id"])
    open_dues = [
        t["due_date"]
        for items in new.values()
        for t in items
        if t["status"] == "open" and t["due_date"] is not None
    ]
    assert open_dues and min(open_dues) >= "2026-07-01"
    assert dues(new["social_services_meeting"]) == ["2026-07-08"]
    assert dues(new["sfi_application"]) == ["2026-07-15"]
    assert dues(new["civic_orientation_offer"]) == ["2026-08-01"]  # the adult only
    assert dues(new["civic_orientation_duty_end"]) == ["2029-07-01"]
    assert {t["status"] for t in new["housing"]} == {"done"}
    assert {t["status"] for t in new["first_day_food"]} == {"not_applicable"}
    assert {t["status"] for t in new["skatteverket_visit"]} == {"done"}
    assert {t["status"] for t in new["personnummer_follow_up"]} == {"done"}

    # Establishment schablon from the month after the registration (2026-08), 4 × 25 %.
    establishment = expected(municipality, case["id"], "establishment")
    assert establishment == {
        date(2026, 8, 1): 3 * 41_250,
        date(2027, 2, 1): 3 * 41_250,
        date(2027, 8, 1): 3 * 41_250,
        date(2028, 2, 1): 3 * 41_250,
    }
    assert expected(municipality, case["id"], "tp_daily") == {}


def test_one_member_registered_first(api: ApiClient, july: date, municipality: Municipality):
    household = api.post("/api/v1/households", tp_family()).get_json()
    olena = next(m for m in household["members"] if m["given_name"] == "Olena")
    url = f"/api/v1/persons/{olena['id']}"
    response = api.patch(url, {"registration_date": "2026-07-01"}, if_match=olena["version"])
    assert response.status_code == 200, response.get_json()

    still = api.get(f"/api/v1/households/{household['id']}").get_json()
    assert still["status"] == "open"
    old = tasks(api, household["id"])
    by_person = {t["person_id"]: t["status"] for t in old["registration_application"]}
    assert by_person.pop(olena["id"]) == "withdrawn"
    assert set(by_person.values()) == {"open"}
    assert {t["status"] for t in old["protection_end_alert"]} == {"open"}
    # The children are still paid for; Olena up to 2026-06-30.
    assert expected(municipality, household["id"], "tp_daily")[date(2026, 7, 1)] == 2 * 31 * 150

    # A correction of a registration already carried over is refused, not half-applied.
    again = api.patch(url, {"registration_date": "2026-07-02"}, if_match=api.etag(url))
    assert again.status_code == 409
    assert again.get_json()["field"] == "registration_date"

    # The children registered later join a case of their own date.
    for member in household["members"]:
        if member["id"] != olena["id"]:
            member_url = f"/api/v1/persons/{member['id']}"
            registered = api.patch(
                member_url, {"registration_date": "2026-07-08"}, if_match=api.etag(member_url)
            )
            assert registered.status_code == 200, registered.get_json()
    chain = api.get(f"/api/v1/households/{household['id']}/chain").get_json()
    assert [h["reference"] for h in chain["households"]] == [
        "UA 2026/001",
        "UA 2026/001 F1",
        "UA 2026/001 F2",
    ]
    assert [len(h["members"]) for h in chain["households"]] == [3, 1, 2]
    assert chain["households"][0]["status"] == "closed"


def test_housing_dates_are_checked(api: ApiClient, july: date) -> None:
    with_settlement = api.post(
        "/api/v1/households", tp_family(workflow="settlement-reception-centre")
    )
    assert with_settlement.status_code == 422
    assert with_settlement.get_json()["field"] == "move_in_date"

    backwards = api.post(
        "/api/v1/households", tp_family(move_in_date="2026-02-01", move_out_date="2026-01-20")
    )
    assert backwards.status_code == 422
    assert backwards.get_json()["field"] == "move_out_date"

    household = api.post("/api/v1/households", tp_family()).get_json()
    url = f"/api/v1/households/{household['id']}"
    before = api.patch(url, {"move_in_date": "2025-12-01"}, if_match=household["version"])
    assert before.status_code == 422 and before.get_json()["field"] == "move_in_date"
    moved_out = api.patch(url, {"move_out_date": "2026-03-01"}, if_match=household["version"])
    assert moved_out.status_code == 200, moved_out.get_json()


def test_nothing_is_half_written_when_the_transition_fails(
    api: ApiClient, july: date, municipality: Municipality, monkeypatch: pytest.MonkeyPatch
) -> None:
    household = api.post("/api/v1/households", tp_family()).get_json()
    olena = next(m for m in household["members"] if m["given_name"] == "Olena")

    from reception.services import protection

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(protection, "_carry_over", broken)
    with tenant(db.session, municipality.id):
        events = db.session.scalar(select(func.count()).select_from(ChangeEvent))
    response = api.patch(
        f"/api/v1/persons/{olena['id']}",
        {"registration_date": "2026-07-01"},
        if_match=olena["version"],
    )
    assert response.status_code == 500
    with tenant(db.session, municipality.id):
        assert db.session.scalar(select(func.count()).select_from(Household)) == 1
        assert db.session.scalar(select(func.count()).select_from(ChangeEvent)) == events
        assert db.session.get(Person, olena["id"]).registration_date is None


def test_own_housing_continues_as_self_settled(
    api: ApiClient, july: date, municipality: Municipality
) -> None:
    body = tp_family(workflow="temporary-protection-own-housing", reception_date="2026-01-20")
    del body["move_in_date"]
    household = api.post("/api/v1/households", body).get_json()
    planned = tasks(api, household["id"])
    assert "move_in" not in planned and "daily_compensation_start" not in planned
    assert dues(planned["protection_end_alert"]) == ["2026-12-05"]
    assert expected(municipality, household["id"], "tp_daily") == {}

    register_everyone(api, household, "2026-07-01")
    chain = api.get(f"/api/v1/households/{household['id']}/chain").get_json()
    case = chain["households"][1]
    assert case["workflow"] == "self-settled"
    # Self-settled: no initial cost at the assigned rate, but the establishment schablon.
    assert min(expected(municipality, case["id"], "establishment")) == date(2026, 8, 1)
