"""Bulk reassignment at the same moment as other writers, on PostgreSQL.

The reassignment locks the households it moves work of (ascending ids) and raises the
versions of what it changes. Before that, a task edit opened before the move and sent
after it was accepted over the move (its version had not changed), and the manager's
report counted a task that no longer was the new coordinator's.
"""

from __future__ import annotations

from functools import partial

import pytest
from flask import Flask
from sqlalchemy import select

from reception.extensions import db
from reception.models import ChangeEvent, Household, Municipality, Task, User
from reception.models.tenancy import system, tenant
from reception.services import accounts, reassignment
from reception.services.reassignment import Reassigned
from tests.concurrency.helpers import Call, Outcome, together
from tests.conftest import token_for
from tests.services.factories import TODAY, Maker

pytestmark = pytest.mark.postgres

ROUNDS = 10


@pytest.fixture()
def make(municipality: Municipality) -> Maker:
    return Maker(municipality)


def colleague(municipality: Municipality, name: str) -> User:
    email = f"{name.lower()}@bracke.example"
    return accounts.create_user(municipality, email, name, ["coordinator"])


def move_all(app: Flask, municipality_id: int, source: User, target: User) -> Reassigned:
    raw = {"from_user_id": source.id, "to_user_id": target.id, "move": ["tasks", "households"]}
    with app.test_request_context(), tenant(db.session, municipality_id):
        return reassignment.reassign(raw, None)


def stored(model: type[Task] | type[Household], ident: int, field: str) -> object:
    db.session.rollback()
    with system(db.session):
        return db.session.scalar(select(getattr(model, field)).where(model.id == ident))


def assignee_events(task_id: int) -> list[str | None]:
    with system(db.session):
        return list(
            db.session.scalars(
                select(ChangeEvent.new_value)
                .where(
                    ChangeEvent.entity == "task",
                    ChangeEvent.entity_id == task_id,
                    ChangeEvent.field == "assignee_id",
                )
                .order_by(ChangeEvent.id)
            )
        )


def test_a_task_edit_from_before_the_move_does_not_undo_it(
    app: Flask, make: Maker, municipality: Municipality, coordinator: User
) -> None:
    target, other = colleague(municipality, "Berit"), colleague(municipality, "Cecilia")
    token = token_for(other)
    for _round in range(ROUNDS):
        household = make.household(coordinator=coordinator)
        task = make.task(household, "housing", due=TODAY, assignee=coordinator)
        url = f"/api/v1/tasks/{task.id}"

        result, outcome = together(
            app,
            partial(move_all, app, municipality.id, coordinator, target),
            Call(token, "patch", url, {"assignee_id": other.id}, if_match=1),
        )

        assert isinstance(result, Reassigned) and isinstance(outcome, Outcome)
        assert outcome.status in (200, 409), outcome
        final = stored(Task, task.id, "assignee_id")
        if outcome.status == 200:  # the edit came first: the move left the task alone
            assert (result.tasks, final) == (0, other.id)
            assert assignee_events(task.id) == [str(other.id)]
        else:  # the move came first: the edit was based on a state that is gone
            assert outcome.body["field"] == "version"
            assert outcome.body["current"]["assignee_id"] == target.id
            assert (result.tasks, final) == (1, target.id)
            assert assignee_events(task.id) == [str(target.id)]
        assert result.households == 1
        assert stored(Household, household.id, "coordinator_id") == target.id


def test_two_reassignments_over_the_same_households_both_complete(
    app: Flask, make: Maker, municipality: Municipality, coordinator: User
) -> None:
    second = colleague(municipality, "Cecilia")
    first_target, second_target = colleague(municipality, "Berit"), colleague(municipality, "Dan")
    for _round in range(ROUNDS):
        # Each reassignment moves a household of one and a task in the other household.
        mine = make.household(coordinator=coordinator)
        theirs = make.household(coordinator=second)
        my_task = make.task(theirs, "housing", due=TODAY, assignee=coordinator)
        their_task = make.task(mine, "housing", due=TODAY, assignee=second)

        results = together(
            app,
            partial(move_all, app, municipality.id, coordinator, first_target),
            partial(move_all, app, municipality.id, second, second_target),
        )

        assert [(r.tasks, r.households) for r in results] == [(1, 1), (1, 1)]
        assert stored(Task, my_task.id, "assignee_id") == first_target.id
        assert stored(Task, their_task.id, "assignee_id") == second_target.id
        assert stored(Household, mine.id, "coordinator_id") == first_target.id
        assert stored(Household, theirs.id, "coordinator_id") == second_target.id
        # Every row changed once, by one of the two: one new version each.
        assert stored(Household, mine.id, "version") == stored(Household, theirs.id, "version") == 2
        assert stored(Task, my_task.id, "version") == stored(Task, their_task.id, "version") == 2
