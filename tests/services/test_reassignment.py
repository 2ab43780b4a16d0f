"""Bulk reassignment through the service: what moves, what stays, history, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from reception.extensions import db
from reception.models import ChangeEvent, Household, Municipality, Task, User
from reception.models.tenancy import tenant
from reception.services import accounts, reassignment, tasks
from reception.services.errors import ValidationError
from reception.services.versions import StaleVersion
from tests.services.factories import TODAY, Maker


@pytest.fixture()
def make(municipality: Municipality) -> Maker:
    return Maker(municipality)


@pytest.fixture()
def johan(municipality: Municipality) -> User:
    return accounts.create_user(municipality, "johan@bracke.example", "Johan Berg", ["coordinator"])


@pytest.fixture()
def manager(municipality: Municipality) -> User:
    return accounts.create_user(municipality, "karin@bracke.example", "Karin Holm", ["manager"])


@pytest.fixture(autouse=True)
def english_request(app_ctx: Flask) -> Iterator[None]:
    """Messages are rendered for a request; these tests read them in English."""
    with app_ctx.test_request_context(headers={"Accept-Language": "en"}):
        yield


def run(municipality: Municipality, raw: dict[str, Any], actor: User | None = None):
    with tenant(db.session, municipality.id):
        return reassignment.reassign(raw, actor)


def errors_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


def test_moves_open_tasks_and_households_with_history(
    make: Maker, municipality: Municipality, coordinator: User, johan: User, manager: User
) -> None:
    first = make.household(coordinator=coordinator)
    second = make.household(coordinator=coordinator)
    closed = make.household(coordinator=coordinator, status="closed")
    others = make.household(coordinator=johan)
    open_task = make.task(first, "housing", due=TODAY, assignee=coordinator)
    waiting = make.task(
        second, "skatteverket_visit", due=TODAY, status="waiting", assignee=coordinator
    )
    done = make.task(first, "first_day_food", due=TODAY, status="done", assignee=coordinator)
    in_closed = make.task(closed, "housing", due=TODAY, assignee=coordinator)
    johans = make.task(others, "housing", due=TODAY, assignee=johan)

    result = run(
        municipality,
        {
            "from_user_id": str(coordinator.id),
            "to_user_id": str(johan.id),
            "move": ["tasks", "households"],
        },
        manager,
    )

    assert (result.tasks, result.households) == (2, 2)
    with tenant(db.session, municipality.id):
        db.session.expire_all()
        assignees = {t.id: t.assignee_id for t in db.session.scalars(select(Task))}
        coordinators = {h.id: h.coordinator_id for h in db.session.scalars(select(Household))}
        events = db.session.scalars(select(ChangeEvent).order_by(ChangeEvent.id)).all()
    assert assignees == {
        open_task.id: johan.id,
        waiting.id: johan.id,
        done.id: coordinator.id,
        in_closed.id: coordinator.id,
        johans.id: johan.id,
    }
    assert coordinators == {
        first.id: johan.id,
        second.id: johan.id,
        closed.id: coordinator.id,
        others.id: johan.id,
    }
    assert sorted((e.entity, e.entity_id, e.field) for e in events) == sorted(
        [
            ("task", open_task.id, "assignee_id"),
            ("task", waiting.id, "assignee_id"),
            ("household", first.id, "coordinator_id"),
            ("household", second.id, "coordinator_id"),
        ]
    )
    event = events[0]
    assert (event.old_value, event.new_value, event.actor_id) == (
        str(coordinator.id),
        str(johan.id),
        manager.id,
    )
    assert "Sam Ordnare" in event.reason and "Johan Berg" in event.reason


def test_what_moves_gets_a_new_version_so_an_older_edit_is_refused(
    make: Maker, municipality: Municipality, coordinator: User, johan: User
) -> None:
    household = make.household(coordinator=coordinator)
    task = make.task(household, "housing", due=TODAY, assignee=coordinator)
    untouched = make.task(household, "first_day_food", due=TODAY)

    run(
        municipality,
        {"from_user_id": coordinator.id, "to_user_id": johan.id, "move": ["tasks", "households"]},
    )

    with tenant(db.session, municipality.id):
        db.session.expire_all()
        versions = {t.id: t.version for t in db.session.scalars(select(Task))}
        assert db.session.get(Household, household.id).version == 2
        # A form opened before the move sends version 1: refused, not written over the move.
        with pytest.raises(StaleVersion):
            tasks.update(task.id, {"assignee_id": coordinator.id, "version": 1}, None)
    assert versions == {task.id: 2, untouched.id: 1}


def test_tasks_only_leaves_the_households(
    make: Maker, municipality: Municipality, coordinator: User, johan: User
) -> None:
    household = make.household(coordinator=coordinator)
    task = make.task(household, "housing", due=TODAY, assignee=coordinator)

    result = run(
        municipality,
        {"from_user_id": coordinator.id, "to_user_id": johan.id, "move": "tasks"},
    )

    assert (result.tasks, result.households) == (1, 0)
    with tenant(db.session, municipality.id):
        db.session.expire_all()
        assert db.session.get(Task, task.id).assignee_id == johan.id
        assert db.session.get(Household, household.id).coordinator_id == coordinator.id


def test_work_of_a_user_who_left_can_be_moved(
    make: Maker, municipality: Municipality, coordinator: User, johan: User
) -> None:
    household = make.household(coordinator=coordinator)
    with tenant(db.session, municipality.id):
        db.session.get(User, coordinator.id).active = False
        db.session.commit()

    result = run(
        municipality,
        {"from_user_id": coordinator.id, "to_user_id": johan.id, "move": ["households"]},
    )

    assert result.households == 1
    with tenant(db.session, municipality.id):
        db.session.expire_all()
        assert db.session.get(Household, household.id).coordinator_id == johan.id


def test_nothing_to_move_is_not_an_error(
    municipality: Municipality, coordinator: User, johan: User
) -> None:
    result = run(
        municipality,
        {"from_user_id": coordinator.id, "to_user_id": johan.id, "move": ["tasks", "households"]},
    )
    assert (result.tasks, result.households) == (0, 0)


def test_refusals_name_the_field_and_change_nothing(
    make: Maker,
    municipality: Municipality,
    other_municipality: Municipality,
    coordinator: User,
    johan: User,
    manager: User,
) -> None:
    household = make.household(coordinator=coordinator)
    make.task(household, "housing", due=TODAY, assignee=coordinator)
    stranger = accounts.create_user(
        other_municipality, "lena@ragunda.example", "Lena Östlund", ["coordinator"]
    )
    inactive = accounts.create_user(municipality, "gone@bracke.example", "Gone", ["coordinator"])
    with tenant(db.session, municipality.id):
        db.session.get(User, inactive.id).active = False
        db.session.commit()

    cases: list[tuple[dict[str, Any], dict[str, str]]] = [
        (
            {"from_user_id": coordinator.id, "to_user_id": coordinator.id, "move": ["tasks"]},
            {"to_user_id": "Choose a different coordinator than the one work moves from."},
        ),
        (
            {"from_user_id": coordinator.id, "to_user_id": manager.id, "move": ["tasks"]},
            {"to_user_id": "Choose an active coordinator of this municipality."},
        ),
        (
            {"from_user_id": coordinator.id, "to_user_id": inactive.id, "move": ["tasks"]},
            {"to_user_id": "Choose an active coordinator of this municipality."},
        ),
        (
            {"from_user_id": coordinator.id, "to_user_id": stranger.id, "move": ["tasks"]},
            {"to_user_id": "No such user in this municipality."},
        ),
        (
            {"from_user_id": stranger.id, "to_user_id": johan.id, "move": ["tasks"]},
            {"from_user_id": "No such user in this municipality."},
        ),
        (
            {"from_user_id": coordinator.id, "to_user_id": johan.id, "move": []},
            {"move": "Choose tasks, households or both."},
        ),
        (
            {"from_user_id": coordinator.id, "to_user_id": johan.id, "move": ["everything"]},
            {"move": "Choose tasks, households or both."},
        ),
        (
            {"from_user_id": "", "to_user_id": "abc"},
            {
                "from_user_id": "This field is required.",
                "to_user_id": "Must be a whole number.",
                "move": "Choose tasks, households or both.",
            },
        ),
    ]
    for raw, expected in cases:
        with pytest.raises(ValidationError) as exc:
            run(municipality, raw)
        assert errors_of(exc) == expected, raw

    with tenant(db.session, municipality.id):
        assert db.session.scalar(select(func.count()).select_from(ChangeEvent)) == 0
        assert db.session.scalar(select(Task.assignee_id)) == coordinator.id


def test_coordinators_lists_active_coordinators_of_the_municipality(
    municipality: Municipality, other_municipality: Municipality, coordinator: User, johan: User
) -> None:
    accounts.create_user(municipality, "karin@bracke.example", "Karin Holm", ["manager"])
    accounts.create_user(other_municipality, "lena@ragunda.example", "Lena", ["coordinator"])
    both = accounts.create_user(
        municipality, "anna@bracke.example", "anna Ek", ["coordinator", "manager"]
    )
    with tenant(db.session, municipality.id):
        names = [u.name for u in reassignment.coordinators()]
    assert names == [both.name, johan.name, coordinator.name]
