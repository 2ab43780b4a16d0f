"""/api/v1/tasks: completing, reopening and annotating checklist tasks."""

from __future__ import annotations

from typing import Any

from flask import Response

from reception.api import bp, serialize
from reception.api.auth import WRITERS, body_or_empty, current_user, json_body, require_role
from reception.api.versioning import required, tagged, with_version
from reception.models import Task
from reception.services import tasks
from reception.timeutil import today


def _task_json(task: Task) -> Response:
    return tagged(serialize.task_in_household(task, today()))


@bp.get("/tasks/<int:task_id>")
def get_task(task_id: int) -> Any:
    return _task_json(tasks.get_task(task_id))


@bp.patch("/tasks/<int:task_id>")
@require_role(*WRITERS)
def patch_task(task_id: int) -> Any:
    body = required(json_body(), lambda: tasks.get_task(task_id))
    return _task_json(tasks.update(task_id, body, current_user()))


@bp.post("/tasks/<int:task_id>/complete")
@require_role(*WRITERS)
def complete(task_id: int) -> Any:
    body = with_version(body_or_empty())
    return _task_json(tasks.complete(task_id, body, current_user(), today()))


@bp.post("/tasks/<int:task_id>/reopen")
@require_role(*WRITERS)
def reopen(task_id: int) -> Any:
    return _task_json(tasks.reopen(task_id, current_user(), with_version(body_or_empty())))


@bp.post("/tasks/<int:task_id>/wait")
@require_role(*WRITERS)
def wait(task_id: int) -> Any:
    body = with_version(json_body())
    return _task_json(tasks.wait_on_authority(task_id, body, current_user(), today()))


@bp.post("/tasks/<int:task_id>/resume")
@require_role(*WRITERS)
def resume(task_id: int) -> Any:
    return _task_json(tasks.resume(task_id, current_user(), with_version(body_or_empty())))


@bp.post("/tasks/<int:task_id>/not-applicable")
@require_role(*WRITERS)
def not_applicable(task_id: int) -> Any:
    return _task_json(tasks.not_applicable(task_id, with_version(json_body()), current_user()))
