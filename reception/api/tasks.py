"""/api/v1/tasks: completing, reopening and annotating checklist tasks."""

from __future__ import annotations

from typing import Any

from flask import request

from reception.api import bp, serialize
from reception.api.auth import WRITERS, current_user, json_body, require_role
from reception.models import Task
from reception.services import tasks
from reception.services.checklist import blockers
from reception.timeutil import today


def _body_or_empty() -> dict[str, Any]:
    # The action endpoints accept an empty body; anything sent must be a JSON object.
    if not request.get_data():
        return {}
    return json_body()


def _task_json(task: Task) -> dict[str, Any]:
    siblings = tasks.tasks_of(task.household_id)
    blocked = blockers(task.household, siblings)
    return serialize.task(task, today(), blocked.get(task.id, ()))


@bp.get("/tasks/<int:task_id>")
def get_task(task_id: int) -> Any:
    return _task_json(tasks.get_task(task_id))


@bp.patch("/tasks/<int:task_id>")
@require_role(*WRITERS)
def patch_task(task_id: int) -> Any:
    return _task_json(tasks.update(task_id, json_body(), current_user()))


@bp.post("/tasks/<int:task_id>/complete")
@require_role(*WRITERS)
def complete(task_id: int) -> Any:
    return _task_json(tasks.complete(task_id, _body_or_empty(), current_user(), today()))


@bp.post("/tasks/<int:task_id>/reopen")
@require_role(*WRITERS)
def reopen(task_id: int) -> Any:
    return _task_json(tasks.reopen(task_id, current_user()))


@bp.post("/tasks/<int:task_id>/wait")
@require_role(*WRITERS)
def wait(task_id: int) -> Any:
    return _task_json(tasks.wait_on_authority(task_id, json_body(), current_user(), today()))


@bp.post("/tasks/<int:task_id>/resume")
@require_role(*WRITERS)
def resume(task_id: int) -> Any:
    return _task_json(tasks.resume(task_id, current_user()))


@bp.post("/tasks/<int:task_id>/not-applicable")
@require_role(*WRITERS)
def not_applicable(task_id: int) -> Any:
    return _task_json(tasks.not_applicable(task_id, json_body(), current_user()))
