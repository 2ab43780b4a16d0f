"""A household's checklist: bringing its tasks in line with the engine's plan.

Called after every change to an anchor (dates, members, identity numbers, task
completions). Applies the engine's changes in place and records each in the
history with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

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


def _tasks_of(household: Household) -> list[Task]:
    return list(db.session.scalars(select(Task).where(Task.household_id == household.id)))


def _apply_plan(task: Task, planned: PlannedTask) -> None:
    task.due_date = planned.due_date
    task.due_anchor = planned.due_anchor
    task.waiting_for = planned.waiting_for
    task.rolled_from = planned.rolled_from


def recompute(household: Household, reason: str, actor: User | None) -> list[Moved]:
    """Reconcile the household's tasks with its definition; returns what moved.

    Expected reimbursements depend on the same facts (dates, members, workflow), so they are
    reconciled here too, in the same transaction and with the same reason. Set-based: the
    new tasks in one INSERT, the changed ones flushed together, the history of the whole
    operation in one change set (services/history.py).
    """
    definition = definition_for(household.workflow_key, household.workflow_version)
    history.operation(household.id, reason, actor)
    # The caller holds the household's row lock (services/versions.py), taken before it read
    # anything, so no other writer changes these tasks until the transaction ends.
    db.session.flush()  # new members and completions must have ids and be visible
    tasks = _tasks_of(household)
    by_id = {t.id: t for t in tasks}
    completions = {
        TaskRef(t.key, t.person_id): t.completed_on
        for t in tasks
        if t.status == TaskStatus.DONE and t.completed_on is not None
    }
    existing = [
        ExistingTask(t.id, t.key, t.person_id, TaskStatus(t.status), t.due_date, t.waiting_for)
        for t in tasks
    ]
    changes = reconcile(existing, plan(definition, facts_of(household), completions))
    new_ids = iter(
        _insert_tasks(definition, household, [c.planned for c in changes if isinstance(c, Create)])
    )
    moved: list[Moved] = []
    for change in changes:
        if isinstance(change, Create):
            # One line per new task: it was added, due on this date (or not yet known).
            due = change.planned.due_date or "–"
            _log(household, next(new_ids), "added", None, due, reason, actor)
        elif isinstance(change, Reschedule):
            task = by_id[change.task_id]
            _apply_plan(task, change.planned)
            _log(household, task.id, "due_date", change.old_due, task.due_date, reason, actor)
            if change.old_due != task.due_date:
                moved.append(Moved(task, change.old_due, task.due_date))
        elif isinstance(change, Withdraw):
            task = by_id[change.task_id]
            _log(
                household, task.id, "status", task.status, TaskStatus.WITHDRAWN.value, reason, actor
            )
            task.status = TaskStatus.WITHDRAWN.value
        elif isinstance(change, Revive):
            task = by_id[change.task_id]
            old_due = task.due_date
            _log(household, task.id, "status", task.status, TaskStatus.OPEN.value, reason, actor)
            task.status = TaskStatus.OPEN.value
            _apply_plan(task, change.planned)
            _log(household, task.id, "due_date", old_due, task.due_date, reason, actor)
    reimbursements.refresh(household, reason, actor)
    history.write()
    return moved


def _insert_tasks(
    definition: WorkflowDefinition, household: Household, planned: list[PlannedTask]
) -> list[int]:
    """The new tasks in one INSERT; their ids in the order given."""
    rows = bulk.insert_rows(
        Task,
        [_new_task(definition, household, p) for p in planned],
        returning=(Task.id, Task.key, Task.person_id),
    )
    ids = {(key, person_id): task_id for task_id, key, person_id in rows}
    return [ids[(p.key, p.person_id)] for p in planned]


def _new_task(
    definition: WorkflowDefinition, household: Household, planned: PlannedTask
) -> dict[str, Any]:
    spec = definition.task(planned.key)
    now = utcnow()
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
