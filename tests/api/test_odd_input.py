"""Odd input from the outside world is a 4xx naming the field, never a 500.

Far-off dates overflow the engine's date arithmetic, integers beyond 64 bits overflow
SQLite's driver and beyond 32 bits PostgreSQL's id columns, JSON's 1e999 is infinity:
each must be refused where it is read, with nothing written.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_households import counts, family
from tests.conftest import ApiClient

pytestmark = pytest.mark.usefixtures("frozen_today")

TP_MEMBER = {"given_name": "Olena", "family_name": "K", "birth_date": "1990-01-01"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (family(reception_date="9999-12-31"), "reception_date"),
        (family(latest_reception_date="9999-12-31"), "latest_reception_date"),
        (family(assignment_date="0001-01-01"), "assignment_date"),
        (family(coordinator_id=10**30), "coordinator_id"),
        (family(coordinator_id=2**63), "coordinator_id"),
        (family(coordinator_id=float("inf")), "coordinator_id"),
        (
            family(
                workflow="temporary-protection-housing",
                move_in_date="9999-12-31",
                members=[TP_MEMBER],
            ),
            "move_in_date",
        ),
    ],
)
def test_out_of_range_household_input(api: ApiClient, body: dict[str, Any], field: str) -> None:
    before = counts()
    response = api.post("/api/v1/households", body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["field"] == field
    assert counts() == before


def test_out_of_range_changes(api: ApiClient) -> None:
    created = api.post("/api/v1/households", family()).get_json()
    url = f"/api/v1/households/{created['id']}"
    for body, field in [
        ({"reception_date": "9999-12-31"}, "reception_date"),
        ({"coordinator_id": 2**63}, "coordinator_id"),
    ]:
        response = api.patch(url, body, if_match=created["version"])
        assert response.status_code == 422, (body, response.get_json())
        assert response.get_json()["field"] == field
    person = created["members"][0]
    response = api.patch(
        f"/api/v1/persons/{person['id']}", {"birth_date": "0001-01-01"}, if_match=person["version"]
    )
    assert response.status_code == 422 and response.get_json()["field"] == "birth_date"


@pytest.mark.parametrize("ident", ["9223372036854775808", "99999999999999999999999"])
def test_huge_ids_in_urls_are_not_found(api: ApiClient, ident: str) -> None:
    for url in (f"/api/v1/households/{ident}", f"/api/v1/tasks/{ident}"):
        response = api.get(url)
        assert response.status_code == 404, url
        assert response.get_json()["error"]


def test_huge_page_number(api: ApiClient) -> None:
    response = api.get("/api/v1/households?page=99999999999999999999")
    assert response.status_code == 422 and response.get_json()["field"] == "page"


def test_a_bad_note_on_completion_is_refused_not_dropped(api: ApiClient) -> None:
    created = api.post("/api/v1/households", family()).get_json()
    tasks = api.get(f"/api/v1/households/{created['id']}/tasks").get_json()
    visit = next(t["id"] for t in tasks if t["key"] == "skatteverket_visit")
    before = counts()
    for note in ("x" * 2001, ["a list"]):
        response = api.post(f"/api/v1/tasks/{visit}/complete", {"note": note})
        assert response.status_code == 422, response.get_json()
        assert response.get_json()["field"] == "note"
    assert api.get(f"/api/v1/tasks/{visit}").get_json()["status"] == "open"
    assert counts() == before
