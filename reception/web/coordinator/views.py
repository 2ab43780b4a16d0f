"""/ and /tasks ("Mina uppgifter"), and the task actions used there and on household pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from reception.extensions import db
from reception.models import Role, Task
from reception.services import tasks as task_service
from reception.services.checklist import blockers
from reception.services.errors import Conflict, ValidationError
from reception.services.validation import Input
from reception.services.workflows import registry
from reception.services.worklist import Filters, filter_choices, worklist
from reception.timeutil import today
from reception.web.access import WRITERS, landing_url, roles_required, safe_next
from reception.web.coordinator import bp
from reception.web.presenters import locale_code, present


@bp.get("/")
@roles_required()
def home() -> Any:
    if current_user.has_role(Role.COORDINATOR):
        return tasks()
    return redirect(landing_url(current_user))


@bp.get("/tasks")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def tasks() -> Any:
    data = Input(request.args)
    scope = request.args.get("scope")
    if scope not in ("mine", "all"):
        # Coordinators start with their own tasks, managers with everyone's.
        scope = "mine" if current_user.has_role(Role.COORDINATOR) else "all"
    filters = Filters(
        assignee_id=current_user.id if scope == "mine" else None,
        household_id=data.integer("household", minimum=1),
        workflow=data.text("workflow", max_length=60),
        person_id=data.integer("person", minimum=1),
    )
    day = today()
    work = worklist(day, filters)
    households, persons = filter_choices()

    def view(items: list) -> list:
        return [present(i.task, i.blocked_by, day) for i in items]

    sections = [
        (
            key,
            heading,
            [(g.household, view(g.items)) for g in groups],
            sum(len(g.items) for g in groups),
        )
        for key, heading, groups in (
            ("overdue", _("Overdue"), work.overdue),
            ("today", _("Due today"), work.today),
            ("upcoming", _("The next 7 days"), work.upcoming),
        )
    ]
    locale = locale_code()
    return render_template(
        "coordinator/tasks.html",
        sections=sections,
        household_options=[(h.id, h.reference) for h in households],
        person_options=[(p.id, f"{p.full_name} ({p.household.reference})") for p in persons],
        workflow_options=[(w.key, w.title.get(locale)) for w in registry().latest()],
        waiting=view(work.waiting),
        work=work,
        scope=scope,
        filters=filters,
        filter_errors={e.field: e.message for e in data.errors},
        today=day,
        return_to=request.full_path.rstrip("?"),
    )


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _task_name(task: Task) -> str:
    """The task as the checklist names it, so the message says which one was changed."""
    title = task.title(locale_code())
    return f"{title} – {task.person.full_name}" if task.person else title


def _act(task_id: int, action: Callable[[], Task], done_message: Callable[[str], str]) -> Any:
    """Run a task action; answer with the task's row (htmx) or a redirect and a message
    naming the task (a message after a redirect must say which of many tasks moved)."""
    back = safe_next(request.form.get("next"))
    errors: dict[str, str] = {}
    try:
        task = action()
        message, category = done_message(_task_name(task)), "success"
    except ValidationError as exc:
        db.session.rollback()
        errors = {e.field: e.message for e in exc.errors}
        message, category = exc.message, "error"
        task = task_service.get_task(task_id)
    except Conflict as exc:
        db.session.rollback()
        message, category = exc.message, "error"
        task = task_service.get_task(task_id)
    if not _is_htmx():
        if errors:
            for error in errors.values():
                flash(error, "error")
        else:
            flash(message, category)
        return redirect(back or url_for("households.show", household_id=task.household_id), 303)
    siblings = task_service.tasks_of(task.household_id)
    blocked = blockers(task.household, siblings)
    return render_template(
        "tasks/_item_response.html",
        item=present(task, blocked.get(task.id, ()), today()),
        errors=errors,
        message=message,
        category=category,
        show_household=request.form.get("context") == "worklist",
        today=today(),
        return_to=back,
    )


@bp.post("/tasks/<int:task_id>/complete")
@roles_required(*WRITERS)
def complete(task_id: int) -> Any:
    form = {"completed_on": request.form.get("completed_on", "")}
    if request.form.get("note", "").strip():
        form["note"] = request.form["note"]
    return _act(
        task_id,
        lambda: task_service.complete(task_id, form, g.user, today()),
        lambda name: _("“%(task)s” is marked done.", task=name),
    )


@bp.post("/tasks/<int:task_id>/wait")
@roles_required(*WRITERS)
def wait(task_id: int) -> Any:
    form = {"waiting_on": request.form.get("waiting_on", "")}
    return _act(
        task_id,
        lambda: task_service.wait_on_authority(task_id, form, g.user, today()),
        lambda name: _("“%(task)s” is waiting on an authority.", task=name),
    )


@bp.post("/tasks/<int:task_id>/resume")
@roles_required(*WRITERS)
def resume(task_id: int) -> Any:
    return _act(
        task_id,
        lambda: task_service.resume(task_id, g.user),
        lambda name: _("“%(task)s” is no longer waiting.", task=name),
    )


@bp.post("/tasks/<int:task_id>/not-applicable")
@roles_required(*WRITERS)
def not_applicable(task_id: int) -> Any:
    form = {"note": request.form.get("note", "")}
    return _act(
        task_id,
        lambda: task_service.not_applicable(task_id, form, g.user),
        lambda name: _("“%(task)s” is marked not applicable.", task=name),
    )


@bp.post("/tasks/<int:task_id>/reopen")
@roles_required(*WRITERS)
def reopen(task_id: int) -> Any:
    return _act(
        task_id,
        lambda: task_service.reopen(task_id, g.user),
        lambda name: _("“%(task)s” is open again.", task=name),
    )


@bp.post("/tasks/<int:task_id>/note")
@roles_required(*WRITERS)
def note(task_id: int) -> Any:
    form = {"note": request.form.get("note", "")}
    return _act(
        task_id,
        lambda: task_service.update(task_id, form, g.user),
        lambda name: _("The note on “%(task)s” is saved.", task=name),
    )
