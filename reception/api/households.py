"""/api/v1/households and /api/v1/persons."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from flask_babel import gettext as _

from reception.api import bp, serialize
from reception.api.auth import WRITERS, body_or_empty, current_user, json_body, require_role
from reception.api.versioning import required, tagged, with_version
from reception.services import households
from reception.services.checklist import blockers
from reception.services.tasks import tasks_of
from reception.services.validation import Input
from reception.timeutil import today


@bp.post("/households")
@require_role(*WRITERS)
def create_household() -> Any:
    household = households.create_household(json_body(), current_user(), today())
    response = tagged(serialize.household(household, today()), 201)
    response.headers["Location"] = f"{bp.url_prefix}/households/{household.id}"
    return response


@bp.get("/households")
def list_households() -> Any:
    data = Input(request.args)
    page = data.integer("page", minimum=1) or 1
    per_page = data.integer("per_page", minimum=1) or 50
    limit = current_app.config["API_PAGE_SIZE_MAX"]
    if per_page > limit:
        data.error("per_page", _("At most %(n)d.", n=limit))
    status = data.text("status", max_length=10)
    if status is not None and status not in ("open", "closed"):
        data.error("status", _("Must be open or closed."))
    workflow = data.text("workflow", max_length=60)
    data.raise_if_errors()
    items, total = households.list_households(
        status=status, workflow=workflow, page=page, per_page=per_page
    )
    return {
        "items": [serialize.household(h, today()) for h in items],
        "total": total,
        "page": page,
        "per_page": per_page,
    }


@bp.get("/households/<int:household_id>")
def get_household(household_id: int) -> Any:
    return tagged(serialize.household(households.get_household(household_id), today()))


@bp.patch("/households/<int:household_id>")
@require_role(*WRITERS)
def patch_household(household_id: int) -> Any:
    body = required(json_body(), lambda: households.get_household(household_id))
    moved = households.update_household(household_id, body, current_user(), today())
    data = serialize.household(households.get_household(household_id), today())
    data["moved"] = serialize.moved(moved)
    return tagged(data)


@bp.post("/households/<int:household_id>/members")
@require_role(*WRITERS)
def add_member(household_id: int) -> Any:
    # The version, if sent, is the household's: the member joins the household as read.
    body = with_version(json_body())
    person = households.add_member(household_id, body, current_user(), today())
    response = tagged(serialize.person(person, today()), 201)
    response.headers["Location"] = f"{bp.url_prefix}/persons/{person.id}"
    return response


@bp.get("/persons/<int:person_id>")
def get_person(person_id: int) -> Any:
    return tagged(serialize.person(households.get_person(person_id), today()))


@bp.patch("/persons/<int:person_id>")
@require_role(*WRITERS)
def patch_person(person_id: int) -> Any:
    body = required(json_body(), lambda: households.get_person(person_id))
    moved = households.update_person(person_id, body, current_user(), today())
    data = serialize.person(households.get_person(person_id), today())
    data["moved"] = serialize.moved(moved)
    return tagged(data)


@bp.get("/households/<int:household_id>/tasks")
def household_tasks(household_id: int) -> Any:
    household = households.get_household(household_id)
    tasks = tasks_of(household.id)
    blocked = blockers(household, tasks)
    return jsonify([serialize.task(t, today(), blocked.get(t.id, ())) for t in tasks])


@bp.post("/households/<int:household_id>/close")
@require_role(*WRITERS)
def close_household(household_id: int) -> Any:
    body = with_version(json_body())
    household = households.close_household(household_id, body, current_user(), today())
    return tagged(serialize.household(household, today()))


@bp.post("/households/<int:household_id>/reopen")
@require_role(*WRITERS)
def reopen_household(household_id: int) -> Any:
    body = with_version(body_or_empty())
    household = households.reopen_household(household_id, current_user(), body)
    return tagged(serialize.household(household, today()))
