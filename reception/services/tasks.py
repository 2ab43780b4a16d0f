"""Working a checklist: complete, reopen, wait on an authority, not applicable, assign."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from reception.engine.status import TaskStatus
from reception.extensions import db
from reception.models import Household, HouseholdStatus, Task, User
from reception.models.tenancy import get_in_tenant
from reception.services import history, versions
from reception.services.checklist import recompute
from reception.services.errors import Conflict, NotFound
from reception.services.validation import Input


def get_task(task_id: int) -> Task:
    task = get_in_tenant(db.session, Task, task_id)
    if task is None:
        raise NotFound(_("No such task."), "id")
    return task


def tasks_of(household_id: int) -> list[Task]:
    return list(
        db.session.scalars(
            select(Task)
            .where(Task.household_id == household_id)
            .order_by(Task.due_date.is_(None), Task.due_date, Task.id)
        )
    )


def _locked(task_id: int, data: Input) -> Task:
    """The task, read under its household's lock; its version checked if one was sent."""
    task: Task = versions.lock_household_of(Task, task_id, _("No such task."))
    version = versions.expected(data)
    data.raise_if_errors()
    versions.check(task, version)
    return task


def _open_household(task: Task) -> Household:
    household = task.household
    if household.status != HouseholdStatus.OPEN.value:
        raise Conflict(_("The household is closed."), "status")
    return household


def complete(task_id: int, raw: Mapping[str, Any], actor: User | None, today: date) -> Task:
    data = Input(raw)
    task = _locked(task_id, data)
    completed_on = data.date("completed_on") or today
    if completed_on > today:
        data.error("completed_on", _("The date is in the future."))
    note = data.text("note", max_length=2000)
    data.raise_if_errors()
    household = _open_household(task)
    if completed_on < household.assignment_date:
        data.error("completed_on", _("The date is before the assignment date."))
        data.raise_if_errors()
    status = TaskStatus(task.status)
    if status is TaskStatus.DONE:
        raise Conflict(_("The task is already done."), "status")
    if status is TaskStatus.WITHDRAWN:
        raise Conflict(_("The task no longer applies to this household."), "status")
    reason = history.in_swedish(_l("Task completed"))
    history.change(task, "status", TaskStatus.DONE.value, reason, actor)
    history.change(task, "completed_on", completed_on, reason, actor)
    task.waiting_on = None
    task.waiting_since = None
    if note:
        history.change(task, "note", note, reason, actor)
    recompute(
        household, history.in_swedish(_l("Task completed: %(title)s", title=task.title_sv)), actor
    )
    db.session.commit()
    return task


def reopen(task_id: int, actor: User | None, raw: Mapping[str, Any] | None = None) -> Task:
    task = _locked(task_id, Input(raw))
    household = _open_household(task)
    status = TaskStatus(task.status)
    if status not in (TaskStatus.DONE, TaskStatus.NOT_APPLICABLE):
        raise Conflict(_("Only a done or not applicable task can be reopened."), "status")
    reason = history.in_swedish(_l("Task reopened"))
    history.change(task, "status", TaskStatus.OPEN.value, reason, actor)
    history.change(task, "completed_on", None, reason, actor)
    recompute(
        household, history.in_swedish(_l("Task reopened: %(title)s", title=task.title_sv)), actor
    )
    db.session.commit()
    return task


def wait_on_authority(
    task_id: int, raw: Mapping[str, Any], actor: User | None, today: date
) -> Task:
    """Mark a task as waiting on an authority's answer (pauses reminders)."""
    data = Input(raw)
    task = _locked(task_id, data)
    waiting_on = data.text("waiting_on", required=True, max_length=200)
    data.raise_if_errors()
    _open_household(task)
    if TaskStatus(task.status).is_settled:
        raise Conflict(_("The task is already closed."), "status")
    reason = history.in_swedish(_l("Waiting on an authority"))
    history.change(task, "status", TaskStatus.WAITING.value, reason, actor)
    history.change(task, "waiting_on", waiting_on, reason, actor)
    if task.waiting_since is None:
        task.waiting_since = today
    db.session.commit()
    return task


def resume(task_id: int, actor: User | None, raw: Mapping[str, Any] | None = None) -> Task:
    task = _locked(task_id, Input(raw))
    _open_household(task)
    if task.status != TaskStatus.WAITING.value:
        raise Conflict(_("The task is not waiting."), "status")
    reason = history.in_swedish(_l("No longer waiting"))
    history.change(task, "status", TaskStatus.OPEN.value, reason, actor)
    history.change(task, "waiting_on", None, reason, actor)
    task.waiting_since = None
    db.session.commit()
    return task


def not_applicable(task_id: int, raw: Mapping[str, Any], actor: User | None) -> Task:
    data = Input(raw)
    task = _locked(task_id, data)
    note = data.text("note", required=True, max_length=2000)
    data.raise_if_errors()
    household = _open_household(task)
    if TaskStatus(task.status).is_settled:
        raise Conflict(_("The task is already closed."), "status")
    reason = history.in_swedish(_l("Marked not applicable"))
    history.change(task, "status", TaskStatus.NOT_APPLICABLE.value, reason, actor)
    history.change(task, "note", note, reason, actor)
    recompute(
        household,
        history.in_swedish(_l("Task not applicable: %(title)s", title=task.title_sv)),
        actor,
    )
    db.session.commit()
    return task


def update(task_id: int, raw: Mapping[str, Any], actor: User | None) -> Task:
    """Change a task's assignee or note."""
    data = Input(raw)
    task = _locked(task_id, data)
    for field in sorted(set(data.data) - {"assignee_id", "note", versions.FIELD}):
        data.error(field, _("This field cannot be changed here."))
    assignee_id = None
    if data.has("assignee_id"):
        assignee_id = data.integer("assignee_id", minimum=1)
        if assignee_id is not None and get_in_tenant(db.session, User, assignee_id) is None:
            data.error("assignee_id", _("No such user in this municipality."))
    note = data.text("note", max_length=2000) if data.has("note") else None
    data.raise_if_errors()
    _open_household(task)
    if data.has("assignee_id"):
        history.change(
            task, "assignee_id", assignee_id, history.in_swedish(_l("Task reassigned")), actor
        )
    if data.has("note"):
        history.change(task, "note", note, history.in_swedish(_l("Note changed")), actor)
    db.session.commit()
    return task
