"""Two writers at once over the API on PostgreSQL: one wins, the other gets a clear 409.

Each writer is a thread with its own app context, session, test client and user, and the
two start together at a barrier. Every race runs for several rounds. Before the household
lock and the versions, these interleavings gave two 200s where one change silently undid
the other, two "done" rows for one task, two people with one personnummer, or a 500.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from reception.demo import identity_number
from reception.extensions import db
from reception.models import ChangeEvent, Household, Municipality, Person, User
from reception.models.tenancy import system
from reception.services import accounts
from tests.concurrency.helpers import Call, Outcome, race
from tests.conftest import ApiClient, token_for
from tests.finance.households import create, family

pytestmark = pytest.mark.postgres

ROUNDS = 10
BIRTH = date(1990, 4, 12)


@pytest.fixture()
def second_coordinator(municipality: Municipality) -> User:
    return accounts.create_user(municipality, "andra@bracke.example", "Alva Andra", ["coordinator"])


@pytest.fixture()
def tokens(coordinator: User, second_coordinator: User) -> tuple[str, str]:
    return token_for(coordinator), token_for(second_coordinator)


def statuses(outcomes: list[Outcome]) -> list[int]:
    return sorted(o.status for o in outcomes)


def loser(outcomes: list[Outcome]) -> Outcome:
    (refused,) = [o for o in outcomes if o.status == 409]
    return refused


def fresh() -> None:
    """The test's own session reads what the writers committed."""
    db.session.rollback()
    db.session.expire_all()


def events(entity: str, entity_id: int, field: str) -> list[str | None]:
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


def member(serial: int, given: str = "Noor") -> dict[str, Any]:
    return {
        "given_name": given,
        "family_name": "Haddad",
        "birth_date": BIRTH.isoformat(),
        "personnummer": identity_number(BIRTH, serial),
    }


def household_json(api: ApiClient, n: int, members: list[dict[str, Any]] | None = None) -> Any:
    body = family(reference=f"KS 2026/{n:03d}")
    # Without numbers by default: every round registers a household of its own.
    body["members"] = members or [
        {k: v for k, v in m.items() if k != "personnummer"} for m in body["members"]
    ]
    return create(api, body)


def housing_task(api: ApiClient, household: dict[str, Any]) -> dict[str, Any]:
    tasks = api.get(f"/api/v1/households/{household['id']}/tasks").get_json()
    return next(t for t in tasks if t["key"] == "housing")


def test_two_patches_of_one_note_with_the_same_version(
    app: Flask, api: ApiClient, tokens: tuple[str, str]
) -> None:
    for n in range(ROUNDS):
        task = housing_task(api, household_json(api, n))
        url = f"/api/v1/tasks/{task['id']}"
        tag = f'"{task["version"]}"'
        notes = (f"A {n}", f"B {n}")

        outcomes = race(
            app,
            Call(tokens[0], "patch", url, {"note": notes[0]}, tag),
            Call(tokens[1], "patch", url, {"note": notes[1]}, tag),
        )

        assert statuses(outcomes) == [200, 409], outcomes
        (won,) = [o.body["note"] for o in outcomes if o.status == 200]
        refused = loser(outcomes)
        assert refused.body["field"] == "version"
        assert refused.body["current"]["note"] == won  # the loser sees what won
        assert refused.body["current"]["version"] == task["version"] + 1
        fresh()
        assert api.get(url).get_json()["note"] == won
        assert events("task", task["id"], "note") == [won]  # no change lost without a trace


def test_two_completions_of_one_task(app: Flask, api: ApiClient, tokens: tuple[str, str]) -> None:
    for n in range(ROUNDS):
        task = housing_task(api, household_json(api, n))
        url = f"/api/v1/tasks/{task['id']}/complete"

        outcomes = race(app, Call(tokens[0], "post", url, {}), Call(tokens[1], "post", url, {}))

        assert statuses(outcomes) == [200, 409], outcomes
        assert loser(outcomes).body["field"] == "status"
        fresh()
        assert events("task", task["id"], "status") == ["done"]
        assert api.get(f"/api/v1/tasks/{task['id']}").get_json()["status"] == "done"


def people_with(number: str) -> int:
    with system(db.session):
        return (
            db.session.scalar(
                select(func.count())
                .select_from(Person)
                .where((Person.personnummer == number) | (Person.samordningsnummer == number))
            )
            or 0
        )


def test_two_new_members_with_one_personnummer(
    app: Flask, api: ApiClient, tokens: tuple[str, str]
) -> None:
    for n in range(ROUNDS):
        household = household_json(api, n)
        url = f"/api/v1/households/{household['id']}/members"
        joining = member(500 + n)

        outcomes = race(
            app, Call(tokens[0], "post", url, joining), Call(tokens[1], "post", url, joining)
        )

        assert statuses(outcomes) == [201, 409], outcomes
        assert loser(outcomes).body["field"] == "personnummer"
        fresh()
        assert people_with(joining["personnummer"]) == 1
        with system(db.session):
            added = db.session.scalar(
                select(func.count())
                .select_from(ChangeEvent)
                .where(ChangeEvent.household_id == household["id"], ChangeEvent.field == "member")
            )
        assert added == 1


def test_one_personnummer_recorded_for_two_persons_at_once(
    app: Flask, api: ApiClient, tokens: tuple[str, str]
) -> None:
    for n in range(ROUNDS):
        # Two households, so the two writers hold different household locks and only the
        # unique index stands between them.
        first = household_json(api, 2 * n, [{**member(0), "personnummer": None}])
        second = household_json(api, 2 * n + 1, [{**member(0), "personnummer": None}])
        number = identity_number(BIRTH, 600 + n)
        people = [h["members"][0] for h in (first, second)]

        calls = [
            Call(
                token, "patch", f"/api/v1/persons/{p['id']}", {"personnummer": number}, p["version"]
            )
            for token, p in zip(tokens, people, strict=True)
        ]
        outcomes = race(app, *calls)

        assert statuses(outcomes) == [200, 409], outcomes
        assert loser(outcomes).body["field"] == "personnummer"
        fresh()
        assert people_with(number) == 1
        recorded = [events("person", p["id"], "personnummer") for p in people]
        assert sorted(recorded) == [[], [number]]


def test_two_new_households_sharing_a_member(
    app: Flask, api: ApiClient, tokens: tuple[str, str]
) -> None:
    for n in range(ROUNDS):
        shared = member(700 + n)
        bodies = [
            {**family(reference=f"KS 2026/{2 * n + i:03d}"), "members": [shared]} for i in (0, 1)
        ]

        outcomes = race(
            app,
            Call(tokens[0], "post", "/api/v1/households", bodies[0]),
            Call(tokens[1], "post", "/api/v1/households", bodies[1]),
        )

        assert statuses(outcomes) == [201, 409], outcomes
        assert loser(outcomes).body["field"].endswith("personnummer")
        fresh()
        assert people_with(shared["personnummer"]) == 1
        with system(db.session):
            references = set(db.session.scalars(select(Household.reference)))
        assert len(references & {b["reference"] for b in bodies}) == 1  # nothing half-written


def test_dates_and_coordinator_changed_at_once_on_one_version(
    app: Flask, api: ApiClient, tokens: tuple[str, str], second_coordinator: User
) -> None:
    for n in range(ROUNDS):
        household = household_json(api, n)
        url = f"/api/v1/households/{household['id']}"
        version = household["version"]
        dates = {"reception_date": "2026-04-27"}
        coordinator = {"coordinator_id": second_coordinator.id}

        outcomes = race(
            app,
            Call(tokens[0], "patch", url, dates, version),
            Call(tokens[1], "patch", url, coordinator, version),
        )

        assert statuses(outcomes) == [200, 409], outcomes
        refused = loser(outcomes)
        assert refused.body["field"] == "version"
        fresh()
        stored = api.get(url).get_json()
        assert stored["version"] == version + 1
        moved_dates = stored["reception_date"] == "2026-04-27"
        moved_coordinator = stored["coordinator_id"] == second_coordinator.id
        assert moved_dates != moved_coordinator  # exactly one of the two changes
        assert refused.body["current"]["reception_date"] == stored["reception_date"]
        assert refused.body["current"]["coordinator_id"] == stored["coordinator_id"]
        # History tells the same story: a row for the change made, none for the other.
        assert len(events("household", household["id"], "reception_date")) == int(moved_dates)
        assert len(events("household", household["id"], "coordinator_id")) == int(moved_coordinator)
