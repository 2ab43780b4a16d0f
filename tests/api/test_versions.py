"""Optimistic concurrency over the API: ETag and version out, If-Match in, 409 and 428."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from reception.extensions import db
from reception.models import ChangeEvent, Task
from reception.models.tenancy import system
from tests.conftest import ApiClient
from tests.finance.households import create, family

pytestmark = pytest.mark.usefixtures("frozen_today")


@pytest.fixture()
def household(api: ApiClient) -> dict[str, Any]:
    return create(api, family())


def first_task(api: ApiClient, household: dict[str, Any], key: str = "housing") -> dict[str, Any]:
    tasks = api.get(f"/api/v1/households/{household['id']}/tasks").get_json()
    return next(t for t in tasks if t["key"] == key)


def history(entity: str, entity_id: int, field: str) -> list[str | None]:
    with system(db.session):
        return list(
            db.session.scalars(
                select(ChangeEvent.new_value)
                .where(
                    ChangeEvent.entity == entity,
                    ChangeEvent.entity_id == entity_id,
                    ChangeEvent.field == field,
                )
                .order_by(ChangeEvent.id)
            )
        )


def test_every_response_carries_the_version_and_its_etag(
    api: ApiClient, household: dict[str, Any]
) -> None:
    person = household["members"][0]
    task = first_task(api, household)
    for url, body in (
        (f"/api/v1/households/{household['id']}", household),
        (f"/api/v1/persons/{person['id']}", person),
        (f"/api/v1/tasks/{task['id']}", task),
    ):
        response = api.get(url)
        assert response.headers["ETag"] == f'"{body["version"]}"', url
        assert response.get_json()["version"] == body["version"] == 1, url
    assert "version" in api.get("/api/v1/households").get_json()["items"][0]

    created = api.post("/api/v1/households", family(reference="KS 2", members=[family_member()]))
    assert created.status_code == 201 and created.headers["ETag"] == '"1"'
    done = api.post(f"/api/v1/tasks/{task['id']}/complete", {})
    assert done.get_json()["version"] == 2 and done.headers["ETag"] == '"2"'
    changed = api.patch(f"/api/v1/tasks/{task['id']}", {"note": "Nyckel hämtad"}, if_match='"2"')
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["version"] == 3 and changed.headers["ETag"] == '"3"'


def family_member(**overrides: Any) -> dict[str, Any]:
    return {"given_name": "Amal", "family_name": "Said", "birth_date": "2000-06-01", **overrides}


def test_a_change_without_a_version_is_refused_with_428(
    api: ApiClient, household: dict[str, Any]
) -> None:
    person = household["members"][0]
    task = first_task(api, household)
    for url, body in (
        (f"/api/v1/households/{household['id']}", {"reception_date": "2026-04-27"}),
        (f"/api/v1/persons/{person['id']}", {"registration_date": "2026-04-30"}),
        (f"/api/v1/tasks/{task['id']}", {"note": "blind"}),
    ):
        response = api.patch(url, body)
        assert response.status_code == 428, url
        assert response.get_json()["field"] == "version"
        assert "If-Match" in response.get_json()["error"]
        assert api.get(url).get_json()["version"] == 1, url  # nothing written
    assert history("task", task["id"], "note") == []
    # An unknown id is still a 404, not a request for a version.
    assert api.patch("/api/v1/tasks/999999", {"note": "x"}).status_code == 404


def test_if_match_or_version_in_the_body(api: ApiClient, household: dict[str, Any]) -> None:
    url = f"/api/v1/households/{household['id']}"
    bare = api.patch(url, {"reception_date": "2026-04-21"}, if_match="1")
    assert bare.status_code == 200, bare.get_json()
    in_body = api.patch(url, {"reception_date": "2026-04-22", "version": 2})
    assert in_body.status_code == 200, in_body.get_json()
    both = api.patch(url, {"reception_date": "2026-04-23", "version": 3}, if_match='"3"')
    assert both.status_code == 200, both.get_json()
    assert both.get_json()["reception_date"] == "2026-04-23"

    differ = api.patch(url, {"reception_date": "2026-04-24", "version": 3}, if_match='"4"')
    assert differ.status_code == 400 and differ.get_json()["field"] == "version"
    for malformed in ('W/"4"', "*", '"4", "5"', "abc", '"0"', '"99999999999"'):
        response = api.patch(url, {"reception_date": "2026-04-24"}, if_match=malformed)
        assert response.status_code == 400, malformed
        assert response.get_json()["field"] == "If-Match", malformed
    bad_body = api.patch(url, {"reception_date": "2026-04-24", "version": "fyra"})
    assert bad_body.status_code == 422 and bad_body.get_json()["field"] == "version"
    assert api.get(url).get_json()["reception_date"] == "2026-04-23"


def test_a_stale_version_is_409_with_the_current_state(
    api: ApiClient, household: dict[str, Any]
) -> None:
    task = first_task(api, household)
    url = f"/api/v1/tasks/{task['id']}"
    assert api.patch(url, {"note": "Kontrakt skickat"}, if_match=1).status_code == 200

    stale = api.patch(url, {"note": "Nyckel hämtad"}, if_match=1)
    assert stale.status_code == 409
    body = stale.get_json()
    assert body["field"] == "version" and body["error"]
    assert body["current"]["note"] == "Kontrakt skickat"
    assert body["current"]["version"] == 2 and stale.headers["ETag"] == '"2"'
    assert history("task", task["id"], "note") == ["Kontrakt skickat"]

    household_url = f"/api/v1/households/{household['id']}"
    stale = api.patch(household_url, {"reception_date": "2026-04-27"}, if_match=7)
    assert stale.status_code == 409
    assert stale.get_json()["current"]["reception_date"] == "2026-04-20"
    assert stale.get_json()["current"]["members"]

    person_url = f"/api/v1/persons/{household['members'][0]['id']}"
    stale = api.patch(person_url, {"given_name": "Rana"}, if_match=5)
    assert stale.status_code == 409 and stale.get_json()["current"]["given_name"] == "Rania"


def test_actions_check_the_version_when_one_is_sent(
    api: ApiClient, household: dict[str, Any]
) -> None:
    task = first_task(api, household)
    url = f"/api/v1/tasks/{task['id']}"
    api.patch(url, {"note": "Kontrakt skickat"}, if_match=1)

    stale = api.post(f"{url}/complete", {"completed_on": "2026-04-30"}, if_match=1)
    assert stale.status_code == 409 and stale.get_json()["current"]["status"] == "open"
    done = api.post(f"{url}/complete", {"completed_on": "2026-04-30", "version": 2})
    assert done.status_code == 200 and done.get_json()["status"] == "done"
    assert api.post(f"{url}/reopen", if_match=2).status_code == 409
    assert api.post(f"{url}/reopen", if_match=3).status_code == 200

    household_url = f"/api/v1/households/{household['id']}"
    closed = api.post(f"{household_url}/close", {"reason": "Flyttat"}, if_match=9)
    assert closed.status_code == 409 and closed.get_json()["current"]["status"] == "open"
    member = api.post(f"{household_url}/members", family_member(version=9))
    assert member.status_code == 409 and member.get_json()["field"] == "version"
    current = api.etag(household_url)
    added = api.post(f"{household_url}/members", family_member(), if_match=current)
    assert added.status_code == 201, added.get_json()
    assert added.headers["ETag"] == '"1"' and added.headers["Location"].endswith(
        f"/persons/{added.get_json()['id']}"
    )
    # Without a version an action is checked against the current status only.
    assert api.post(f"{household_url}/close", {"reason": "Flyttat"}).status_code == 200


def test_completing_a_done_task_is_409_with_one_history_row(
    api: ApiClient, household: dict[str, Any]
) -> None:
    task = first_task(api, household)
    url = f"/api/v1/tasks/{task['id']}/complete"
    assert api.post(url, {"completed_on": "2026-04-30"}).status_code == 200

    again = api.post(url, {"completed_on": "2026-05-01"})
    assert again.status_code == 409 and again.get_json()["field"] == "status"
    assert history("task", task["id"], "status") == ["done"]
    assert history("task", task["id"], "completed_on") == ["2026-04-30"]
    assert api.get(f"/api/v1/tasks/{task['id']}").get_json()["completed_on"] == "2026-04-30"


@pytest.fixture()
def concurrent_bump() -> Iterator[list[int]]:
    """Before the request's first flush, another connection commits a change to the task:
    the race the version column catches when a writer took no lock (or on SQLite)."""
    tasks: list[int] = []

    def bump(session: Session, _context: Any, _instances: Any) -> None:
        if tasks and any(isinstance(obj, Task) for obj in session.dirty):
            with db.engine.begin() as other:
                other.execute(
                    text(
                        "UPDATE task SET note = 'Från en annan', version = version + 1 "
                        "WHERE id = :id"
                    ),
                    {"id": tasks.pop()},
                )

    event.listen(Session, "before_flush", bump)
    yield tasks
    event.remove(Session, "before_flush", bump)


def test_a_race_the_version_column_caught_is_409_not_500(
    api: ApiClient, household: dict[str, Any], concurrent_bump: list[int]
) -> None:
    task = first_task(api, household)
    url = f"/api/v1/tasks/{task['id']}"
    concurrent_bump.append(task["id"])

    response = api.patch(url, {"note": "Min anteckning"}, if_match=1)

    assert response.status_code == 409, response.get_json()
    body = response.get_json()
    assert body["field"] == "version"
    assert body["current"]["note"] == "Från en annan" and body["current"]["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert history("task", task["id"], "note") == []  # the losing write left nothing
