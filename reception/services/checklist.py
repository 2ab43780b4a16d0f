"""A household's checklist: bringing its tasks in line with the engine's plan.

Called after every change to an anchor (dates, members, identity numbers, task
completions), for one household or (recompute_many: the end of protection) for many at
once, with the same statements. Applies the engine's changes to the stored tasks and
records each in the history with its reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from reception.engine.definitions import WorkflowDefinition
from reception.engine.instantiate import HouseholdFacts, PersonFacts, PlannedTask, TaskRef, plan
from reception.engine.recompute import (
    Create,
    ExistingTask,
    Reschedule,
    Revive,
    Withdraw,
    blocked_by,
    reconcile,
)
from reception.engine.status import TaskStatus
from reception.extensions import db
from reception.models import Household, Task, User
from reception.services import bulk, history, protection_rules, reimbursements
from reception.services.workflows import definition_for
from reception.timeutil import utcnow


@dataclass(frozen=True)
class Moved:
    """A task whose due date the recomputation changed, for telling the user."""

    task: Task
    old_due: date | None
    new_due: date | None


def facts_of(household: Household) -> HouseholdFacts:
    temporary_protection = protection_rules.is_temporary_protection(household)
    members = household.members
    if temporary_protection:
        # A registered person has left the temporary-protection workflow and continues in a
        # settlement case (services/protection.py); their open tasks here are withdrawn.
        members = [p for p in members if p.registration_date is None]
    return HouseholdFacts(
        assignment_date=household.assignment_date,
        latest_reception_date=household.latest_reception_date,
        reception_date=household.reception_date,
        move_in_date=household.move_in_date,
        move_out_date=household.move_out_date,
        protection_end=protection_rules.protection_end() if temporary_protection else None,
        persons=tuple(
            PersonFacts(
                id=p.id,
                birth_date=p.birth_date,
                registration_date=p.registration_date,
                personnummer_date=p.personnummer_date,
                has_personnummer=p.personnummer is not None,
                has_samordningsnummer=p.samordningsnummer is not None,
                samordningsnummer_date=p.samordningsnummer_date,
                permit_date=p.permit_date,
                registration_eligible_date=protection_rules.registration_eligible_date(p),
            )
            for p in members
        ),
    )


# The task columns a recomputation changes; written with one executemany UPDATE.
_CHANGED = ("status", "due_date", "due_anchor", "waiting_for", "rolled_from")
# What it reads of a stored task: plain rows, no ORM objects to build for every task.
_STORED = (Task.id, Task.household_id, Task.key, Task.person_id, Task.completed_on, Task.version)


def _tasks_of(household_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
    """The stored tasks of the households, in one query (see bulk.in_ids), by household."""
    found: dict[int, list[Row[Any]]] = {h: [] for h in household_ids}
    columns = [*_STORED, *(getattr(Task, c) for c in _CHANGED)]
    for condition in bulk.in_ids(Task.household_id, household_ids):
        for task in db.session.execute(select(*columns).where(condition).order_by(Task.id)):
            found[task.household_id].append(task)
    return found


def _planned_values(planned: PlannedTask) -> dict[str, Any]:
    return {
        "due_date": planned.due_date,
        "due_anchor": planned.due_anchor,
        "waiting_for": planned.waiting_for,
        "rolled_from": planned.rolled_from,
    }


def _changes(
    definition: WorkflowDefinition, household: Household, tasks: list[Row[Any]]
) -> list[Any]:
    """The engine's changes that bring these tasks in line with the household's facts."""
    completions = {
        TaskRef(t.key, t.person_id): t.completed_on
        for t in tasks
        if t.status == TaskStatus.DONE and t.completed_on is not None
    }
    existing = [
        ExistingTask(t.id, t.key, t.person_id, TaskStatus(t.status), t.due_date, t.waiting_for)
        for t in tasks
    ]
    return reconcile(existing, plan(definition, facts_of(household), completions))


def recompute(household: Household, reason: str, actor: User | None) -> list[Moved]:
    """Reconcile the household's tasks with its definition; returns what moved.

    The household's own call of recompute_many: the same statements for one household.
    """
    return recompute_many([household], reason, actor).moved[household.id]


@dataclass(frozen=True)
class Recomputed:
    """What a recomputation of several households changed, by household id."""

    moved: dict[int, list[Moved]]  # tasks whose due date moved, in the order changed
    ledger: dict[int, reimbursements.Refreshed]  # expected payments added, changed, removed


def recompute_many(households: Sequence[Household], reason: str, actor: User | None) -> Recomputed:
    """Reconcile the tasks of several households with their definitions, and their ledgers.

    Expected reimbursements depend on the same facts (dates, members, workflow), so they are
    reconciled here too (reimbursements.refresh_many), in the same transaction and with the
    same reason. Set-based whatever the number of households: their tasks read in one query,
    the new tasks in one INSERT, the changed ones in one executemany UPDATE, and the history
    in one change set per household written together (services/history.py). The caller
    holds the households' row locks (services/versions.py), taken before it read anything,
    with their members loaded, so no other writer changes these tasks until the
    transaction ends.
    """
    for household in households:
        history.operation(household.id, reason, actor)
    db.session.flush()  # new members and completions must have ids and be visible
    tasks = _tasks_of([h.id for h in households])
    definitions = {h.id: definition_for(h.workflow_key, h.workflow_version) for h in households}
    changes = {h.id: _changes(definitions[h.id], h, tasks[h.id]) for h in households}
    new_ids = _insert_tasks(
        [
            (h, definitions[h.id], c.planned)
            for h in households
            for c in changes[h.id]
            if isinstance(c, Create)
        ]
    )
    moved: dict[int, list[tuple[int, date | None, date | None]]] = {}
    updates: dict[int, dict[str, Any]] = {}

    def values(task: Row[Any]) -> dict[str, Any]:
        """The task's new values, staged for the UPDATE (starting from the stored ones)."""
        return updates.setdefault(task.id, {c: getattr(task, c) for c in _CHANGED})

    for household in households:
        by_id = {t.id: t for t in tasks[household.id]}
        moved[household.id] = []
        for change in changes[household.id]:
            if isinstance(change, Create):
                # One line per new task: it was added, due on this date (or not yet known).
                due = change.planned.due_date or "–"
                _log(household, next(new_ids), "added", None, due, reason, actor)
            elif isinstance(change, Reschedule):
                task = by_id[change.task_id]
                values(task).update(_planned_values(change.planned))
                new_due = change.planned.due_date
                _log(household, task.id, "due_date", change.old_due, new_due, reason, actor)
                if change.old_due != new_due:
                    moved[household.id].append((task.id, change.old_due, new_due))
            elif isinstance(change, Withdraw):
                task = by_id[change.task_id]
                withdrawn = TaskStatus.WITHDRAWN.value
                _log(household, task.id, "status", task.status, withdrawn, reason, actor)
                values(task)["status"] = withdrawn
            elif isinstance(change, Revive):
                task = by_id[change.task_id]
                opened = TaskStatus.OPEN.value
                _log(household, task.id, "status", task.status, opened, reason, actor)
                values(task).update(status=opened, **_planned_values(change.planned))
                new_due = change.planned.due_date
                _log(household, task.id, "due_date", task.due_date, new_due, reason, actor)
    _update_tasks({t.id: t for ts in tasks.values() for t in ts}, updates)
    ledger = reimbursements.refresh_many(households, reason, actor)
    history.write()
    loaded = _load([task_id for items in moved.values() for task_id, _, _ in items])
    return Recomputed(
        {
            household_id: [Moved(loaded[task_id], old, new) for task_id, old, new in items]
            for household_id, items in moved.items()
        },
        ledger,
    )


def _load(task_ids: Sequence[int]) -> dict[int, Task]:
    """The moved tasks as Task objects, as written, for telling the user (one query).

    A task the session holds already (kept in line by _update_tasks) is not read again.
    """
    found: dict[int, Task] = {}
    for task_id in task_ids:
        task = db.session.identity_map.get(db.session.identity_key(Task, task_id))
        if task is not None:
            found[task_id] = task
    missing = [task_id for task_id in task_ids if task_id not in found]
    for condition in bulk.in_ids(Task.id, missing):
        found.update({t.id: t for t in db.session.scalars(select(Task).where(condition))})
    return found


def _update_tasks(tasks: dict[int, Row[Any]], updates: dict[int, dict[str, Any]]) -> None:
    """The changed tasks in one executemany UPDATE, then the same values in the session.

    A Core UPDATE bypasses the ORM's version counter, so it raises ``version`` itself; a
    Task object the operation has loaded (the task it completed, say) is given the written
    values as its committed state, so a later flush in the same transaction neither writes
    them again nor fails its version check.
    """
    changed = {
        task_id: values
        for task_id, values in updates.items()
        if any(values[c] != getattr(tasks[task_id], c) for c in _CHANGED)
    }
    if not changed:
        return
    now = utcnow()
    table = Task.__table__
    db.session.execute(
        update(table)
        .where(table.c.id == bindparam("task_id"))
        .values(
            {
                **{c: bindparam(f"new_{c}") for c in _CHANGED},
                "updated_at": bindparam("new_updated_at"),
                "version": table.c.version + 1,
            }
        ),
        [
            {
                "task_id": task_id,
                "new_updated_at": now,
                **{f"new_{c}": v for c, v in values.items()},
            }
            for task_id, values in changed.items()
        ],
    )
    for task_id, values in changed.items():
        task = db.session.identity_map.get(db.session.identity_key(Task, task_id))
        if task is None:
            continue
        written = {**values, "updated_at": now, "version": tasks[task_id].version + 1}
        for column, value in written.items():
            set_committed_value(task, column, value)


def _insert_tasks(
    planned: list[tuple[Household, WorkflowDefinition, PlannedTask]],
) -> Iterator[int]:
    """The new tasks of all the households in one INSERT; their ids in the order given."""
    rows = bulk.insert_rows(
        Task,
        [task_row(definition, household, p) for household, definition, p in planned],
        returning=(Task.id, Task.household_id, Task.key, Task.person_id),
    )
    ids = {(h, key, person_id): task_id for task_id, h, key, person_id in rows}
    return iter([ids[(h.id, p.key, p.person_id)] for h, _, p in planned])


def task_row(
    definition: WorkflowDefinition,
    household: Household,
    planned: PlannedTask,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The row of a new task, as the set-based INSERTs write it (here and in registration)."""
    spec = definition.task(planned.key)
    now = now or utcnow()
    return {
        # Set here: a set-based INSERT bypasses the before_flush hook that fills it in.
        "municipality_id": household.municipality_id,
        "household_id": household.id,
        "person_id": planned.person_id,
        "key": planned.key,
        "title_sv": spec.title.sv,
        "title_en": spec.title.en,
        "status": TaskStatus.OPEN.value,
        "reminder_days": spec.reminder_days,
        "assignee_id": household.coordinator_id,
        "due_date": planned.due_date,
        "due_anchor": planned.due_anchor,
        "waiting_for": planned.waiting_for,
        "rolled_from": planned.rolled_from,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def _log(
    household: Household,
    task_id: int,
    field: str,
    old: object,
    new: object,
    reason: str,
    actor: User | None,
) -> None:
    history.record(
        household_id=household.id,
        entity="task",
        entity_id=task_id,
        field=field,
        old=old,
        new=new,
        reason=reason,
        actor=actor,
    )


def blockers(household: Household, tasks: Sequence[Task]) -> dict[int, list[Task]]:
    """For each blocked task id, the unsettled tasks it waits for."""
    definition = definition_for(household.workflow_key, household.workflow_version)
    by_ref = {TaskRef(t.key, t.person_id): t for t in tasks}
    statuses = {ref: TaskStatus(t.status) for ref, t in by_ref.items()}
    return {
        by_ref[ref].id: [by_ref[b] for b in blocking]
        for ref, blocking in blocked_by(definition, statuses).items()
    }
