"""The household API end to end: the acceptance household, recomputation, bad input."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from reception.extensions import db
from reception.models import ChangeEvent, Household, Person, Task
from reception.models.tenancy import system
from tests.conftest import ApiClient

pytestmark = pytest.mark.usefixtures("frozen_today")


def family(**overrides: Any) -> dict[str, Any]:
    body = {
        "reference": "KS 2026/042",
        "workflow": "settlement-reception-centre",
        "assignment_date": "2026-03-10",
        "reception_date": "2026-04-20",
        "members": [
            {"given_name": "Rania", "family_name": "Al-Hassan", "birth_date": "1991-01-15"},
            {"given_name": "Omar", "family_name": "Al-Hassan", "birth_date": "1993-03-02"},
            {"given_name": "Lina", "family_name": "Al-Hassan", "birth_date": "2014-02-10"},
            {"given_name": "Yusuf", "family_name": "Al-Hassan", "birth_date": "2021-09-30"},
        ],
    }
    body.update(overrides)
    return body


def tasks_by_key(api: ApiClient, household_id: int) -> dict[str, list[dict[str, Any]]]:
    response = api.get(f"/api/v1/households/{household_id}/tasks")
    assert response.status_code == 200
    grouped: dict[str, list[dict[str, Any]]] = {}
    for task in response.get_json():
        grouped.setdefault(task["key"], []).append(task)
    return grouped


def counts() -> tuple[int, int, int, int]:
    with system(db.session):
        return tuple(  # type: ignore[return-value]
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Household, Person, Task, ChangeEvent)
        )


def test_acceptance_household_through_the_api(api: ApiClient) -> None:
    response = api.post("/api/v1/households", family())
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["latest_reception_date"] == "2026-05-10"
    assert created["workflow_version"] == 1
    assert response.headers["Location"].endswith(f"/households/{created['id']}")
    adults = [m["id"] for m in created["members"] if m["age"] >= 18]
    children = [m["id"] for m in created["members"] if m["age"] < 18]

    tasks = tasks_by_key(api, created["id"])
    assert [t["due_date"] for t in tasks["housing"]] == ["2026-05-10"]
    assert [t["due_date"] for t in tasks["skatteverket_visit"]] == ["2026-05-04"]
    assert sorted(t["person_id"] for t in tasks["sfi_application"]) == sorted(adults)
    assert sorted(t["person_id"] for t in tasks["school_enrolment"]) == sorted(children)
    for task in tasks["civic_orientation_offer"]:
        assert task["due_date"] is None
        assert task["waiting_for"] == "registration_date"

    # Housing arranged; then the family arrives a week later than planned.
    housing = tasks["housing"][0]
    done = api.post(f"/api/v1/tasks/{housing['id']}/complete", {"completed_on": "2026-04-18"})
    assert done.status_code == 200 and done.get_json()["status"] == "done"
    visit = tasks["skatteverket_visit"][0]
    api.post(f"/api/v1/tasks/{visit['id']}/complete", {"completed_on": "2026-04-30"})

    url = f"/api/v1/households/{created['id']}"
    moved = api.patch(url, {"reception_date": "2026-04-27"}, if_match=api.etag(url))
    assert moved.status_code == 200, moved.get_json()
    moved_keys = {m["key"] for m in moved.get_json()["moved"]}
    assert "school_enrolment" in moved_keys
    assert "housing" not in moved_keys and "skatteverket_visit" not in moved_keys

    after = tasks_by_key(api, created["id"])
    assert after["housing"][0]["due_date"] == "2026-05-10"
    assert after["housing"][0]["status"] == "done"
    assert after["skatteverket_visit"][0]["due_date"] == "2026-05-04"  # done: unchanged
    assert {t["due_date"] for t in after["school_enrolment"]} == {"2026-05-27"}
    assert {t["id"] for t in after["school_enrolment"]} == {
        t["id"] for t in tasks["school_enrolment"]
    }  # updated in place

    # Registration recorded for the mother: her civic-orientation duty gets its end date.
    mother = adults[0]
    url = f"/api/v1/persons/{mother}"
    response = api.patch(url, {"registration_date": "2026-04-30"}, if_match=api.etag(url))
    assert response.status_code == 200, response.get_json()
    duty = {
        t["person_id"]: t for t in tasks_by_key(api, created["id"])["civic_orientation_duty_end"]
    }
    assert duty[mother]["due_date"] == "2029-04-30"
    assert duty[adults[1]]["due_date"] is None


def test_history_records_who_what_and_why(api: ApiClient, coordinator) -> None:
    created = api.post("/api/v1/households", family()).get_json()
    api.patch(
        f"/api/v1/households/{created['id']}",
        {"reception_date": "2026-04-27"},
        if_match=created["version"],
    )
    with system(db.session):
        events = db.session.scalars(
            select(ChangeEvent).where(
                ChangeEvent.household_id == created["id"], ChangeEvent.field == "reception_date"
            )
        ).all()
    assert len(events) == 1
    assert (events[0].old_value, events[0].new_value) == ("2026-04-20", "2026-04-27")
    assert events[0].actor_id == coordinator.id
    assert events[0].reason == "Mottagningsdatum ändrat"


def test_task_actions(api: ApiClient) -> None:
    created = api.post("/api/v1/households", family()).get_json()
    tasks = tasks_by_key(api, created["id"])
    visit = tasks["skatteverket_visit"][0]["id"]

    waiting = api.post(f"/api/v1/tasks/{visit}/wait", {"waiting_on": "Skatteverket"})
    assert waiting.get_json()["status"] == "waiting"
    assert waiting.get_json()["waiting_since"] == "2026-05-01"
    assert api.post(f"/api/v1/tasks/{visit}/resume").get_json()["status"] == "open"

    done = api.post(f"/api/v1/tasks/{visit}/complete")
    assert done.get_json()["completed_on"] == "2026-05-01"
    again = api.post(f"/api/v1/tasks/{visit}/complete")
    assert again.status_code == 409 and again.get_json()["field"] == "status"
    reopened = api.post(f"/api/v1/tasks/{visit}/reopen").get_json()
    assert reopened["status"] == "open" and reopened["completed_on"] is None

    food = tasks["local_orientation"][0]["id"]
    missing_note = api.post(f"/api/v1/tasks/{food}/not-applicable", {})
    assert missing_note.status_code == 422 and missing_note.get_json()["field"] == "note"
    na = api.post(f"/api/v1/tasks/{food}/not-applicable", {"note": "Familjen känner orten."})
    assert na.get_json()["status"] == "not_applicable"

    future = api.post(f"/api/v1/tasks/{visit}/complete", {"completed_on": "2026-05-02"})
    assert future.status_code == 422 and future.get_json()["field"] == "completed_on"


def test_sfi_start_counts_from_the_application(api: ApiClient) -> None:
    created = api.post("/api/v1/households", family()).get_json()
    tasks = tasks_by_key(api, created["id"])
    application = tasks["sfi_application"][0]
    start = next(t for t in tasks["sfi_start"] if t["person_id"] == application["person_id"])
    assert start["due_date"] is None and start["blocked_by"]
    api.post(f"/api/v1/tasks/{application['id']}/complete", {"completed_on": "2026-04-28"})
    refreshed = api.get(f"/api/v1/tasks/{start['id']}").get_json()
    assert refreshed["due_date"] == "2026-07-28"


def test_member_added_later(api: ApiClient) -> None:
    created = api.post("/api/v1/households", family()).get_json()
    response = api.post(
        f"/api/v1/households/{created['id']}/members",
        {"given_name": "Sara", "family_name": "Al-Hassan", "birth_date": "2018-06-01"},
    )
    assert response.status_code == 201
    person_id = response.get_json()["id"]
    tasks = tasks_by_key(api, created["id"])
    assert person_id in {t["person_id"] for t in tasks["school_enrolment"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (family(reference=None), "reference"),
        (family(workflow="unknown-flow"), "workflow"),
        (family(assignment_date="2026-02-30"), "assignment_date"),
        (family(assignment_date="10/03/2026"), "assignment_date"),
        (family(assignment_date="2026-06-01"), "assignment_date"),
        (family(reception_date="2026-03-01"), "reception_date"),
        (family(latest_reception_date="2026-03-01"), "latest_reception_date"),
        (family(members=[]), "members"),
        (family(members="four"), "members"),
        (
            family(members=[{"given_name": "A", "family_name": "B", "birth_date": "2027-01-01"}]),
            "members[0].birth_date",
        ),
        (
            family(members=[{"family_name": "B", "birth_date": "2000-01-01"}]),
            "members[0].given_name",
        ),
        (
            family(
                members=[
                    {
                        "given_name": "A",
                        "family_name": "B",
                        "birth_date": "1981-12-28",
                        "personnummer": "19811228-9875",
                    }
                ]
            ),
            "members[0].personnummer",
        ),
        (
            family(
                members=[
                    {
                        "given_name": "A",
                        "family_name": "B",
                        "birth_date": "1981-12-27",
                        "personnummer": "19811228-9874",
                    }
                ]
            ),
            "members[0].personnummer",
        ),
        (family(members=["not an object"]), "members[0]"),
        (family(coordinator_id="x"), "coordinator_id"),
        (family(coordinator_id=99999), "coordinator_id"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    api: ApiClient, body: dict[str, Any], field: str
) -> None:
    before = counts()
    response = api.post("/api/v1/households", body)
    assert response.status_code == 422, response.get_json()
    payload = response.get_json()
    assert payload["field"] == field
    assert payload["error"]
    assert counts() == before


def test_not_json_and_not_an_object(api: ApiClient) -> None:
    response = api.client.post(
        "/api/v1/households",
        data="reference=x",
        headers={"Authorization": f"Bearer {api.token}", "Content-Type": "text/plain"},
    )
    assert response.status_code == 400 and response.get_json()["field"] == "body"
    assert api.post("/api/v1/households", [1, 2]).status_code == 400


def test_duplicate_reference_is_a_conflict(api: ApiClient) -> None:
    assert api.post("/api/v1/households", family()).status_code == 201
    before = counts()
    response = api.post("/api/v1/households", family())
    assert response.status_code == 409 and response.get_json()["field"] == "reference"
    assert counts() == before


def test_valid_identity_numbers_are_kept(api: ApiClient) -> None:
    body = family(
        members=[
            {
                "given_name": "A",
                "family_name": "B",
                "birth_date": "1981-12-28",
                "personnummer": "811228-9874",
            },
            {
                "given_name": "C",
                "family_name": "B",
                "birth_date": "1981-12-28",
                "personnummer": "8112889871",  # samordningsnummer: day + 60
            },
        ]
    )
    created = api.post("/api/v1/households", body).get_json()
    first, second = sorted(created["members"], key=lambda m: m["given_name"])
    assert first["personnummer"] == "19811228-9874"
    assert second["samordningsnummer"] == "19811288-9871" and second["personnummer"] is None


def test_bad_patches(api: ApiClient) -> None:
    created = api.post("/api/v1/households", family()).get_json()
    url = f"/api/v1/households/{created['id']}"
    cases = [
        ({"reception_date": "2026-03-01"}, "reception_date"),
        ({"reception_date": "yesterday"}, "reception_date"),
        ({"latest_reception_date": None}, "latest_reception_date"),
        ({"workflow": "self-settled"}, "workflow"),
    ]
    for body, field in cases:
        response = api.patch(url, body, if_match=created["version"])
        assert response.status_code == 422 and response.get_json()["field"] == field, body
    person = created["members"][0]
    for body, field in [
        ({"registration_date": "2026-05-02"}, "registration_date"),
        ({"registration_date": "1980-01-01"}, "registration_date"),
        ({"personnummer": "123"}, "personnummer"),
        ({"birth_date": "2030-01-01"}, "birth_date"),
    ]:
        response = api.patch(f"/api/v1/persons/{person['id']}", body, if_match=person["version"])
        assert response.status_code == 422 and response.get_json()["field"] == field, body


def test_listing_paginates_and_filters(api: ApiClient) -> None:
    for n in range(3):
        api.post("/api/v1/households", family(reference=f"KS {n}"))
    api.post("/api/v1/households", family(reference="E1", workflow="self-settled"))
    page = api.get("/api/v1/households?per_page=2&page=2").get_json()
    assert page["total"] == 4 and len(page["items"]) == 2
    only = api.get("/api/v1/households?workflow=self-settled").get_json()
    assert [h["reference"] for h in only["items"]] == ["E1"]
    assert api.get("/api/v1/households?status=closed").get_json()["total"] == 0
    bad = api.get("/api/v1/households?per_page=100000")
    assert bad.status_code == 422 and bad.get_json()["field"] == "per_page"
    bad = api.get("/api/v1/households?status=gone")
    assert bad.status_code == 422 and bad.get_json()["field"] == "status"


def test_not_found_is_json(api: ApiClient) -> None:
    for url in ("/api/v1/households/999", "/api/v1/persons/999", "/api/v1/tasks/999"):
        response = api.get(url)
        assert response.status_code == 404 and "error" in response.get_json()
    assert api.get("/api/v1/nothing-here").status_code == 404
    assert api.get("/api/v1/nothing-here").get_json()["error"]


def test_workflows_listing(api: ApiClient) -> None:
    workflows = {w["key"]: w for w in api.get("/api/v1/workflows").get_json()}
    assert {"settlement-reception-centre", "settlement-resettled", "self-settled"} <= set(workflows)
    housing = next(
        t for t in workflows["settlement-reception-centre"]["tasks"] if t["key"] == "housing"
    )
    assert housing["due"]["anchor"] == ["latest_reception_date"]
    assert housing["title"]["sv"] and housing["title"]["en"]


def test_today_is_swedish_time(api: ApiClient) -> None:
    assert date.today() == date(2026, 5, 1)


def test_close_and_reopen(api: ApiClient) -> None:
    created = api.post("/api/v1/households", family()).get_json()
    url = f"/api/v1/households/{created['id']}"
    missing = api.post(f"{url}/close", {})
    assert missing.status_code == 422 and missing.get_json()["field"] == "reason"
    closed = api.post(f"{url}/close", {"reason": "Flyttat till annan kommun"})
    assert closed.status_code == 200
    assert closed.get_json()["status"] == "closed"
    assert closed.get_json()["closed_on"] == "2026-05-01"
    task = tasks_by_key(api, created["id"])["housing"][0]["id"]
    refused = api.post(f"/api/v1/tasks/{task}/complete")
    assert refused.status_code == 409 and refused.get_json()["field"] == "status"
    closed_again = api.patch(url, {"reception_date": "2026-04-21"}, if_match=api.etag(url))
    assert closed_again.status_code == 409 and closed_again.get_json()["field"] == "status"
    assert api.get("/api/v1/households?status=closed").get_json()["total"] == 1
    reopened = api.post(f"{url}/reopen").get_json()
    assert reopened["status"] == "open" and reopened["closed_reason"] is None
    assert api.post(f"/api/v1/tasks/{task}/complete").status_code == 200
