"""/households: the list, a new household, one household with its checklist and history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from reception.extensions import db
from reception.models import Role
from reception.services import accounts, history, households, protection, protection_rules, summary
from reception.services.checklist import Moved, blockers
from reception.services.errors import Conflict, FieldError, ValidationError
from reception.services.tasks import tasks_of
from reception.services.validation import Input
from reception.services.versions import Versioned
from reception.services.workflows import definition_for, registry
from reception.timeutil import today
from reception.web import conflicts
from reception.web.access import READERS, WRITERS, roles_required
from reception.web.conflicts import TaskInput
from reception.web.households import bp
from reception.web.households.forms import MemberRows
from reception.web.households.protection import continued_notice, linked_view, protection_view
from reception.web.presenters import locale_code, present, task_label

PER_PAGE = 25
# The family summary's languages, each named in itself (no translation needed).
SUMMARY_LANGUAGES = (("uk", "українською"), ("sv", "svenska"), ("en", "English"))


def _field_errors(exc: ValidationError | Conflict) -> list[FieldError]:
    if isinstance(exc, ValidationError):
        return exc.errors
    return [FieldError(exc.field or "reference", exc.message)]


def _coordinator_options() -> list[tuple[int, str]]:
    return [
        (u.id, u.name)
        for u in accounts.users_of_municipality()
        if u.active and u.has_role(Role.COORDINATOR)
    ]


def _workflow_options() -> list[tuple[str, str]]:
    locale = locale_code()
    return [(w.key, w.title.get(locale)) for w in registry().latest()]


@bp.get("/")
@roles_required(*READERS)
def index() -> Any:
    data = Input(request.args)
    search = data.text("q", max_length=100)
    status = request.args.get("status", "open")
    if status not in ("open", "closed", "all"):
        status = "open"
    workflow = data.text("workflow", max_length=60)
    coordinator_id = data.integer("coordinator", minimum=1)
    page = data.integer("page", minimum=1) or 1
    items, total = households.list_households(
        status=None if status == "all" else status,
        workflow=workflow,
        search=search,
        coordinator_id=coordinator_id,
        page=page,
        per_page=PER_PAGE,
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "households/index.html",
        items=items,
        total=total,
        page=page,
        pages=(total + PER_PAGE - 1) // PER_PAGE,
        page_url=lambda n: url_for("households.index", **args, page=n),
        summaries=households.task_summaries([h.id for h in items], today()),
        search=search or "",
        status=status,
        workflow=workflow,
        coordinator_id=coordinator_id,
        workflow_options=_workflow_options(),
        coordinator_options=_coordinator_options(),
        workflow_titles=dict(_workflow_options()),
        today=today(),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*WRITERS)
def new() -> Any:
    rows = MemberRows.from_form(request.form) if request.method == "POST" else MemberRows.empty()
    values: dict[str, Any] = dict(request.form) if request.method == "POST" else {}
    if request.method == "GET" and g.user.has_role(Role.COORDINATOR):
        values["coordinator_id"] = str(g.user.id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if request.form.get("action") == "add_member":
            rows.add_row()
        else:
            payload = {
                "reference": request.form.get("reference", ""),
                "workflow": request.form.get("workflow", ""),
                "assignment_date": request.form.get("assignment_date", ""),
                "latest_reception_date": request.form.get("latest_reception_date", ""),
                "reception_date": request.form.get("reception_date", ""),
                "coordinator_id": request.form.get("coordinator_id", ""),
                "members": rows.payload(),
            }
            # Only households in the municipality's housing have one; left out when blank
            # so that other workflows are not refused for an empty field.
            move_in = request.form.get("move_in_date", "").strip()
            if move_in:
                payload["move_in_date"] = move_in
            try:
                household = households.create_household(payload, g.user, today())
            except (ValidationError, Conflict, StaleDataError) as exc:
                errors = rows.field_errors(_field_errors(exc))
            else:
                flash(
                    _("Household %(reference)s registered.", reference=household.reference),
                    "success",
                )
                return redirect(url_for("households.show", household_id=household.id), 303)
    status = 422 if errors else 200
    return render_template(
        "households/new.html",
        values=values,
        rows=rows,
        errors=errors,
        workflow_options=_workflow_options(),
        coordinator_options=_coordinator_options(),
        today=today(),
    ), status


def render_show(
    household_id: int,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
    task_input: TaskInput | None = None,
) -> Any:
    """The household page; `task_input` is a refused task action's input (tasks/_item.html)."""
    household = households.get_household(household_id)
    day = today()
    tasks = tasks_of(household.id)
    blocked = blockers(household, tasks)
    items = [present(t, blocked.get(t.id, ()), day) for t in tasks]
    by_id = {t.id: t for t in tasks}
    moved_state = session.pop("moved", None)
    moved = []
    if moved_state and moved_state.get("household") == household.id:
        for task_id, old, new in moved_state["items"]:
            if task_id in by_id:
                moved.append((by_id[task_id], _date(old), _date(new)))
    users = accounts.users_of_municipality()
    definition = definition_for(household.workflow_key, household.workflow_version)
    names = {p.id: p.full_name for p in household.members}
    titles = {t.id: task_label(t, names, locale_code()) for t in tasks}
    linked = linked_view(household) if protection.is_linked(household) else None
    if linked is not None:
        # One continuous history across the earlier and later cases.
        events = linked.events
        names.update(linked.names)
        titles.update(linked.titles)
    else:
        events = history.for_household(household.id)
    return render_template(
        "households/show.html",
        household=household,
        workflow_title=definition.title.get(locale_code()),
        items=items,
        moved=moved,
        events=events,
        linked=linked,
        protection=protection_view(household, linked),
        continued=continued_notice(household.id),
        summary_languages=SUMMARY_LANGUAGES,
        names=names,
        titles=titles,
        errors=errors or {},
        values=values or {},
        task_input=task_input,
        coordinator_options=[
            (u.id, u.name) for u in users if u.active and u.has_role(Role.COORDINATOR)
        ],
        user_names={u.id: u.name for u in users},
        today=day,
        return_to=url_for("households.show", household_id=household.id),
    ), status


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _remember_moved(household_id: int, moved: list[Moved]) -> None:
    session["moved"] = {
        "household": household_id,
        "items": [
            [
                m.task.id,
                m.old_due.isoformat() if m.old_due else None,
                m.new_due.isoformat() if m.new_due else None,
            ]
            for m in moved
        ],
    }


def _saved(household_id: int, moved: list[Moved]) -> Any:
    _remember_moved(household_id, moved)
    if moved:
        flash(_("Saved. %(num)d due dates moved; see the list below.", num=len(moved)), "success")
    else:
        flash(_("Saved. No due dates moved."), "success")
    return redirect(url_for("households.show", household_id=household_id), 303)


@bp.get("/<int:household_id>")
@roles_required(*READERS)
def show(household_id: int) -> Any:
    return render_show(household_id)


def _posted(fields: Iterable[str]) -> dict[str, Any]:
    """The fields the form posted: a field it did not show is left as it is, not cleared."""
    return {f: request.form[f] for f in fields if f in request.form}


def _refused(
    household_id: int,
    exc: ValidationError | Conflict | StaleDataError,
    current: Versioned,
    prefix: str,
    values: dict[str, Any],
) -> Any:
    """Show the page again with the user's input; a form from an older copy of the page is a
    409 that says what the other person changed (and carries the new version to save again)."""
    db.session.rollback()
    lost = isinstance(exc, conflicts.STALE)
    errors = {} if lost else _prefixed(prefix, exc)
    status = 422
    if lost or conflicts.is_behind(current, request.form):
        stale = conflicts.stale_form(current, request.form, prefix + "form")
        errors = {stale.target: stale.message, **errors}
        values = conflicts.edited(values, request.form)
        status = 409
    return render_show(household_id, errors, {prefix + k: v for k, v in values.items()}, status)


def _prefixed(prefix: str, exc: ValidationError | Conflict) -> dict[str, str]:
    return {prefix + e.field: e.message for e in _field_errors(exc)}


@bp.post("/<int:household_id>/dates")
@roles_required(*WRITERS)
def update_dates(household_id: int) -> Any:
    household = households.get_household(household_id)
    form = _posted(conflicts.HOUSEHOLD_DATES)
    try:
        moved = households.update_household(
            household.id, {**form, **conflicts.version_sent(request.form)}, g.user, today()
        )
    except (ValidationError, *conflicts.STALE) as exc:
        return _refused(household_id, exc, household, "household-", form)
    return _saved(household_id, moved)


@bp.post("/<int:household_id>/members")
@roles_required(*WRITERS)
def add_member(household_id: int) -> Any:
    household = households.get_household(household_id)
    form = _posted(("given_name", "family_name", "birth_date", "personnummer"))
    try:
        person = households.add_member(
            household.id, {**form, **conflicts.version_sent(request.form)}, g.user, today()
        )
    except (ValidationError, *conflicts.STALE) as exc:
        return _refused(household_id, exc, household, "new-member-", form)
    flash(_("%(name)s added; their tasks are on the checklist.", name=person.full_name), "success")
    return redirect(url_for("households.show", household_id=household_id), 303)


@bp.post("/<int:household_id>/members/<int:person_id>")
@roles_required(*WRITERS)
def update_member(household_id: int, person_id: int) -> Any:
    person = households.get_person(person_id)
    if person.household_id != household_id:
        abort(404)
    household = households.get_household(household_id)
    fields = list(conflicts.PERSON)
    if protection_rules.is_temporary_protection(household):
        fields += conflicts.PERMIT
    form = _posted(fields)
    registers = bool(form.get("registration_date")) and person.registration_date is None
    # The number is sent only when it was changed: the field shows whichever number the
    # person has, and a samordningsnummer sent again as is would not be a change.
    number = form.pop("personnummer", "").strip()
    if number and number not in (person.personnummer, person.samordningsnummer):
        form["personnummer"] = number
    try:
        moved = households.update_person(
            person_id, {**form, **conflicts.version_sent(request.form)}, g.user, today()
        )
    except (ValidationError, Conflict, StaleDataError) as exc:
        return _refused(
            household_id, exc, person, f"member-{person_id}-", {**form, "personnummer": number}
        )
    if registers:
        case = protection.continued_in(person_id)
        if case is not None:
            session["continued"] = {
                "household": household_id,
                "case_id": case.id,
                "reference": case.reference,
                "name": person.full_name,
            }
    return _saved(household_id, moved)


@bp.post("/<int:household_id>/housing")
@roles_required(*WRITERS)
def update_housing(household_id: int) -> Any:
    """Move-in and move-out of the municipality's housing (temporary protection)."""
    household = households.get_household(household_id)
    form = _posted(conflicts.HOUSING)
    try:
        moved = households.update_household(
            household.id, {**form, **conflicts.version_sent(request.form)}, g.user, today()
        )
    except (ValidationError, Conflict, StaleDataError) as exc:
        return _refused(household_id, exc, household, "housing-", form)
    return _saved(household_id, moved)


@bp.get("/<int:household_id>/summary")
@roles_required(*READERS)
def family_summary(household_id: int) -> Any:
    """The printable summary for the family, in Ukrainian, Swedish or English."""
    lang = request.args.get("lang") or locale_code()
    if lang not in summary.LANGUAGES:
        abort(404)
    household = households.get_household(household_id)
    back = (
        url_for("households.show", household_id=household.id),
        _("Back to household %(reference)s", reference=household.reference),
        locale_code(),
    )
    html = summary.render(household.id, lang, today(), back=back)
    return Response(html, mimetype="text/html", headers={"Content-Language": lang})
