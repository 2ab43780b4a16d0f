"""Reconcile a household's existing tasks with a fresh plan, in place.

Recomputation never deletes and rebuilds: it returns the smallest set of changes
that brings existing tasks in line with the plan, so notes, assignees and history
survive. Settled tasks (done, not applicable) keep their dates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from reception.engine.definitions import WorkflowDefinition
from reception.engine.instantiate import PlannedTask, TaskRef
from reception.engine.status import TaskStatus


@dataclass(frozen=True)
class ExistingTask:
    id: int
    key: str
    person_id: int | None
    status: TaskStatus
    due_date: date | None
    waiting_for: str | None

    @property
    def ref(self) -> TaskRef:
        return TaskRef(self.key, self.person_id)


@dataclass(frozen=True)
class Create:
    planned: PlannedTask


@dataclass(frozen=True)
class Reschedule:
    task_id: int
    old_due: date | None
    planned: PlannedTask


@dataclass(frozen=True)
class Withdraw:
    """The task no longer applies (member left, aged out of scope, condition changed)."""

    task_id: int


@dataclass(frozen=True)
class Revive:
    """A withdrawn task applies again."""

    task_id: int
    planned: PlannedTask


Change = Create | Reschedule | Withdraw | Revive


def reconcile(existing: Iterable[ExistingTask], planned: Iterable[PlannedTask]) -> list[Change]:
    by_ref = {task.ref: task for task in existing}
    changes: list[Change] = []
    wanted: set[TaskRef] = set()
    for item in planned:
        wanted.add(item.ref)
        current = by_ref.get(item.ref)
        if current is None:
            changes.append(Create(item))
        elif current.status is TaskStatus.WITHDRAWN:
            changes.append(Revive(current.id, item))
        elif current.status.is_settled:
            continue
        elif current.due_date != item.due_date or current.waiting_for != item.waiting_for:
            changes.append(Reschedule(current.id, current.due_date, item))
    for ref, current in by_ref.items():
        if ref not in wanted and not current.status.is_settled:
            changes.append(Withdraw(current.id))
    return changes


def blocked_by(
    definition: WorkflowDefinition, statuses: Mapping[TaskRef, TaskStatus]
) -> dict[TaskRef, list[TaskRef]]:
    """For each unsettled task, the unsettled tasks it depends on (only those that block)."""
    by_key: dict[str, list[TaskRef]] = {}
    for ref in statuses:
        by_key.setdefault(ref.key, []).append(ref)
    result: dict[TaskRef, list[TaskRef]] = {}
    for ref, status in statuses.items():
        if status.is_settled or not definition.has_task(ref.key):
            continue
        blockers: list[TaskRef] = []
        for dep_key in definition.task(ref.key).depends_on:
            # The same member's instance where there is one, else every instance.
            same_person = TaskRef(dep_key, ref.person_id)
            if ref.person_id is not None and same_person in statuses:
                candidates = [same_person]
            else:
                candidates = by_key.get(dep_key, [])
            blockers += [c for c in candidates if c in statuses and not statuses[c].is_settled]
        if blockers:
            result[ref] = blockers
    return result
