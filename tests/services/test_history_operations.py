"""History by operation: one change set per operation, every staged row written, set-based."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import event, select

from reception.extensions import db
from reception.models import ChangeEvent, ChangeSet, Municipality, Task, User
from reception.services import history, households, tasks

TODAY = date(2026, 5, 20)


def body(reference: str = "KS 2026/042") -> dict[str, Any]:
    """Two adults and two children received a month ago (no personnummer yet)."""
    return {
        "reference": reference,
        "workflow": "settlement-reception-centre",
        "assignment_date": "2026-03-10",
        "reception_date": "2026-04-20",
        "members": [
            {
                "given_name": "Rania",
                "family_name": "Al-Hassan",
                "birth_date": "1991-01-15",
                "personnummer": "19910115-1000",
            },
            {"given_name": "Omar", "family_name": "Al-Hassan", "birth_date": "1993-03-02"},
            {"given_name": "Lina", "family_name": "Al-Hassan", "birth_date": "2014-02-10"},
            {"given_name": "Yusuf", "family_name": "Al-Hassan", "birth_date": "2021-09-30"},
        ],
    }


@contextmanager
def count_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def before_cursor_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before_cursor_execute)


def change_sets(household_id: int) -> list[ChangeSet]:
    return list(
        db.session.scalars(
            select(ChangeSet).where(ChangeSet.household_id == household_id).order_by(ChangeSet.id)
        )
    )


def events_of(change_set: ChangeSet) -> list[ChangeEvent]:
    return list(
        db.session.scalars(
            select(ChangeEvent)
            .where(ChangeEvent.change_set_id == change_set.id)
            .order_by(ChangeEvent.id)
        )
    )


def household_tasks(household_id: int) -> dict[int, Task]:
    return {
        t.id: t for t in db.session.scalars(select(Task).where(Task.household_id == household_id))
    }


def test_registering_a_household_is_one_change_set_listing_its_tasks(
    in_tenant: Municipality, coordinator: User
) -> None:
    household = households.create_household(body(), coordinator, TODAY)

    [registered] = change_sets(household.id)
    assert registered.reason == "Hushållet registrerat"
    assert registered.actor_id == coordinator.id
    assert registered.municipality_id == in_tenant.id
    rows = events_of(registered)
    stored = household_tasks(household.id)
    added = [e for e in rows if e.entity == "task" and e.field == "added"]
    # One row per new task, naming it and its due date; nothing of the operation outside it.
    assert sorted(e.entity_id for e in added) == sorted(stored)
    for e in added:
        due = stored[e.entity_id].due_date
        assert e.new_value == (due.isoformat() if due else "–")
        assert e.old_value is None and e.actor_id == coordinator.id
    ledger = [e for e in rows if e.entity == "reimbursement"]
    assert ledger and all(e.old_value is None for e in ledger)
    assert len(rows) == len(added) + len(ledger)
    every = db.session.scalars(select(ChangeEvent).where(ChangeEvent.household_id == household.id))
    assert {e.change_set_id for e in every} == {registered.id}
    # The new tasks are ordinary rows of the municipality, versioned and assigned.
    assert all(t.municipality_id == in_tenant.id and t.version == 1 for t in stored.values())


def test_a_completion_that_moves_due_dates_is_one_change_set_listing_the_moves(
    in_tenant: Municipality, coordinator: User
) -> None:
    household = households.create_household(body(), coordinator, TODAY)
    before = {t.id: (t.key, t.due_date) for t in household_tasks(household.id).values()}
    visit = next(i for i, (key, _due) in before.items() if key == "skatteverket_visit")

    tasks.complete(visit, {"completed_on": "2026-05-04"}, coordinator, TODAY)

    registered, completed = change_sets(household.id)
    assert completed.reason.startswith("Uppgift klarmarkerad: ")
    assert completed.actor_id == coordinator.id
    after = household_tasks(household.id)
    moved = {i: (before[i][1], t.due_date) for i, t in after.items() if t.due_date != before[i][1]}
    assert moved, "completing the Skatteverket visit moves the tasks that wait for it"
    rows = events_of(completed)
    due_rows = {e.entity_id: (e.old_value, e.new_value) for e in rows if e.field == "due_date"}
    assert due_rows == {
        i: (old.isoformat() if old else None, new.isoformat() if new else None)
        for i, (old, new) in moved.items()
    }
    assert {(e.entity_id, e.field, e.new_value) for e in rows if e.entity_id == visit} >= {
        (visit, "status", "done"),
        (visit, "completed_on", "2026-05-04"),
    }
    assert registered.id < completed.id


def test_every_recorded_row_is_written_once_and_a_rolled_back_one_never(
    in_tenant: Municipality, coordinator: User
) -> None:
    household = households.create_household(body(), coordinator, TODAY)
    household_id = household.id

    def note(value: str) -> None:
        history.record(
            household_id=household_id,
            entity="household",
            entity_id=household_id,
            field="note",
            old=None,
            new=value,
            reason="Test",
            actor=coordinator,
        )

    # Staged before and after an explicit write: both in one change set, at the commit.
    note("first")
    history.write()
    note("second")
    db.session.commit()
    # Staged, then rolled back: gone, and it does not leak into the next transaction.
    note("rolled back")
    db.session.rollback()
    note("third")
    db.session.commit()

    _registered, both, third = change_sets(household_id)
    assert [e.new_value for e in events_of(both)] == ["first", "second"]
    assert [e.new_value for e in events_of(third)] == ["third"]
    assert both.reason == "Test" and both.actor_id == coordinator.id
    notes = db.session.scalars(
        select(ChangeEvent.new_value).where(
            ChangeEvent.household_id == household_id, ChangeEvent.field == "note"
        )
    ).all()
    assert sorted(notes) == ["first", "second", "third"]


def test_an_operation_over_several_households_writes_one_change_set_each(
    in_tenant: Municipality, coordinator: User
) -> None:
    first = households.create_household(body("KS 1"), coordinator, TODAY)
    second = households.create_household(
        {**body("KS 2"), "members": body()["members"][1:]}, coordinator, TODAY
    )
    for household in (first, second):
        history.change(household, "reference", f"{household.reference} B", "Renamed", None)
    db.session.commit()

    for household in (first, second):
        renamed = change_sets(household.id)[-1]
        assert renamed.reason == "Renamed"
        assert [(e.field, e.new_value) for e in events_of(renamed)] == [
            ("reference", f"{household.reference}")
        ]


def test_registering_a_household_takes_a_fixed_handful_of_statements(
    in_tenant: Municipality, coordinator: User
) -> None:
    with count_statements() as statements:
        household = households.create_household(body(), coordinator, TODAY)
    assert len(household_tasks(household.id)) > 20  # the checklist is there
    # Each table's rows in one INSERT (on PostgreSQL all of them in one WITH … statement).
    inserts = [w for s in statements for w in re.findall(r"INSERT INTO (\w+)", s)]
    for table in ("task", "expected_payment", "change_set", "change_event"):
        assert inserts.count(table) == 1, (table, inserts)
    # Besides the members (the ORM's flush, one INSERT per member on SQLite): the reference
    # and number checks, the household, the actor, the (empty) tasks and ledger read, and
    # the four INSERTs above. Writing row by row took 60.
    others = [s for s in statements if not s.startswith("INSERT INTO person")]
    assert len(others) <= 11, others


def test_completing_a_task_takes_a_fixed_handful_of_statements(
    in_tenant: Municipality, coordinator: User
) -> None:
    household = households.create_household(body(), coordinator, TODAY)
    visit = db.session.scalar(
        select(Task.id).where(Task.household_id == household.id, Task.key == "skatteverket_visit")
    )
    db.session.commit()
    with count_statements() as statements:
        tasks.complete(visit, {"completed_on": "2026-05-04"}, coordinator, TODAY)
    updates = sum(s.startswith("UPDATE task") for s in statements)
    # The completed task (ORM, version-checked) and the tasks that moved, all in one
    # executemany UPDATE (checklist.recompute_many).
    assert updates == 2, statements
    # The lock, the household and members read once, the task, the tasks and the ledger
    # read, the moved tasks loaded for the answer, the change set and its events. It was 13
    # (SQLite) with one UPDATE per moved task, and before that 13 + the UPDATEs: the
    # household and its members read twice, the actor reloaded, the history one INSERT
    # per set of NULL columns.
    assert len(statements) <= 11, statements
    print(f"\nstatements per completion: {len(statements)} ({updates} task UPDATEs)")


def test_the_page_history_groups_by_operation(in_tenant: Municipality, coordinator: User) -> None:
    household = households.create_household(body(), coordinator, TODAY)
    events = history.for_household(household.id)
    [group] = history.grouped(events)
    assert group.reason == "Hushållet registrerat"
    assert group.actor is not None and group.actor.id == coordinator.id
    assert len(group.events) == len(events)
    assert [e.id for e in group.events] == sorted(e.id for e in events)  # in order made


def test_rows_from_before_grouping_form_groups_by_reason_actor_and_second(
    in_tenant: Municipality, coordinator: User
) -> None:
    household = households.create_household(body(), coordinator, TODAY)
    at = db.session.scalar(select(ChangeSet.at).where(ChangeSet.household_id == household.id))
    old = [
        ChangeEvent(
            household_id=household.id,
            entity="household",
            entity_id=household.id,
            field=field,
            old_value=None,
            new_value="x",
            reason=reason,
            actor_id=None,
            at=at.replace(year=2025, microsecond=micro),
        )
        for field, reason, micro in (
            ("a", "Old one", 1),
            ("b", "Old one", 2),
            ("c", "Old two", 3),
        )
    ]
    db.session.add_all(old)
    db.session.commit()
    groups = history.grouped(history.for_household(household.id))
    assert [(g.reason, len(g.events)) for g in groups[1:]] == [("Old two", 1), ("Old one", 2)]
    assert [e.field for e in groups[2].events] == ["a", "b"]
