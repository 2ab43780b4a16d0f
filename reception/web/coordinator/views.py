"""/ and /tasks ("Mina uppgifter"), and the task actions used there and on household pages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from reception.extensions import db
from reception.models import Role, Task
from reception.services import tasks as task_service
from reception.services.checklist import blockers
from reception.services.errors import Conflict, ValidationError
from reception.services.validation import Input
from reception.services.workflows import registry
from reception.services.worklist import Filters, filter_choices, worklist
from reception.timeutil import today
from reception.web import conflicts
from reception.web.access import WRITERS, landing_url, roles_required, safe_next
from reception.web.conflicts import StaleForm, TaskInput
from reception.web.coordinator import bp
from reception.web.households.views import render_show
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
    return _worklist(request.args, request.full_path.rstrip("?"))


def _worklist(
    args: Mapping[str, str],
    return_to: str,
    errors: dict[str, str] | None = None,
    task_input: TaskInput | None = None,
    status: int = 200,
) -> Any:
    """The work list for the filters in `args`; `task_input` is a refused action's input."""
    data = Input(args)
    scope = args.get("scope")
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
        errors=errors or {},
        task_input=task_input,
        today=day,
        return_to=return_to,
    ), status


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _task_name(task: Task) -> str:
    """The task as the checklist names it, so the message says which one was changed."""
    title = task.title(locale_code())
    return f"{title} – {task.person.full_name}" if task.person else title


def _act(
    task_id: int,
    form: str,
    kept: dict[str, str],
    action: Callable[[dict[str, str]], Task],
    done_message: Callable[[str], str],
) -> Any:
    """Run a task action; answer with the task's row (htmx) or a redirect and a message
    naming the task (a message after a redirect must say which of many tasks moved).

    `form` names the item's form and `kept` is what the user entered in it, shown again when
    the action is refused. A form from an older copy of the task (StaleVersion) is a 409
    that says what changed and who changed it; the task is shown as it is now, so that the
    action can be sent again after checking. A race the version column caught (StaleDataError)
    is answered the same way.
    """
    back = safe_next(request.form.get("next"))
    errors: dict[str, str] = {}
    stale = None
    try:
        task = action(conflicts.version_sent(request.form))
        message, category = done_message(_task_name(task)), "success"
    except ValidationError as exc:
        db.session.rollback()
        errors = {e.field: e.message for e in exc.errors}
        message, category = exc.message, "error"
        task = task_service.get_task(task_id)
        if conflicts.is_behind(task, request.form):
            stale = conflicts.stale_form(task, request.form, f"task-{task_id}")
    except conflicts.STALE:
        db.session.rollback()
        task = task_service.get_task(task_id)
        stale = conflicts.stale_form(task, request.form, f"task-{task_id}")
    except Conflict as exc:
        db.session.rollback()
        message, category = exc.message, "error"
        task = task_service.get_task(task_id)
    if stale is not None:
        message, category = stale.message, "error"
    refused = TaskInput(task.id, form, kept, stale) if category == "error" else None
    status = 409 if stale is not None else 200
    if not _is_htmx():
        if stale is not None:
            return _stale_page(task, back, stale, refused)
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
        task_input=refused,
        message=message,
        category=category,
        show_household=request.form.get("context") == "worklist",
        today=today(),
        return_to=back,
    ), status


def _stale_page(task: Task, back: str | None, stale: StaleForm, refused: TaskInput | None) -> Any:
    """Without JavaScript: the page the form was on again (409), the input kept in it."""
    errors = {stale.target: stale.message}
    path, _sep, query = (back or "").partition("?")
    if path in (url_for("coordinator.home"), url_for("coordinator.tasks")):
        return _worklist(MultiDict(parse_qsl(query)), back or path, errors, refused, 409)
    return render_show(task.household_id, errors, task_input=refused, status=409)


@bp.post("/tasks/<int:task_id>/complete")
@roles_required(*WRITERS)
def complete(task_id: int) -> Any:
    form = {"completed_on": request.form.get("completed_on", "")}
    if request.form.get("note", "").strip():
        form["note"] = request.form["note"]
    return _act(
        task_id,
        "complete",
        form,
        lambda sent: task_service.complete(task_id, {**form, **sent}, g.user, today()),
        lambda name: _("“%(task)s” is marked done.", task=name),
    )


@bp.post("/tasks/<int:task_id>/wait")
@roles_required(*WRITERS)
def wait(task_id: int) -> Any:
    form = {"waiting_on": request.form.get("waiting_on", "")}
    return _act(
        task_id,
        "wait",
        form,
        lambda sent: task_service.wait_on_authority(task_id, {**form, **sent}, g.user, today()),
        lambda name: _("“%(task)s” is waiting on an authority.", task=name),
    )


@bp.post("/tasks/<int:task_id>/resume")
@roles_required(*WRITERS)
def resume(task_id: int) -> Any:
    return _act(
        task_id,
        "resume",
        {},
        lambda sent: task_service.resume(task_id, g.user, sent),
        lambda name: _("“%(task)s” is no longer waiting.", task=name),
    )


@bp.post("/tasks/<int:task_id>/not-applicable")
@roles_required(*WRITERS)
def not_applicable(task_id: int) -> Any:
    form = {"note": request.form.get("note", "")}
    return _act(
        task_id,
        "not_applicable",
        form,
        lambda sent: task_service.not_applicable(task_id, {**form, **sent}, g.user),
        lambda name: _("“%(task)s” is marked not applicable.", task=name),
    )


@bp.post("/tasks/<int:task_id>/reopen")
@roles_required(*WRITERS)
def reopen(task_id: int) -> Any:
    return _act(
        task_id,
        "reopen",
        {},
        lambda sent: task_service.reopen(task_id, g.user, sent),
        lambda name: _("“%(task)s” is open again.", task=name),
    )


@bp.post("/tasks/<int:task_id>/note")
@roles_required(*WRITERS)
def note(task_id: int) -> Any:
    form = {"note": request.form.get("note", "")}
    return _act(
        task_id,
        "note",
        form,
        lambda sent: task_service.update(task_id, {**form, **sent}, g.user),
        lambda name: _("The note on “%(task)s” is saved.", task=name),
    )
