"""JSON shapes of the API's resources."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_babel import get_locale

from reception.engine.calendar import age_on
from reception.engine.definitions import TaskDefinition, Text, WorkflowDefinition
from reception.engine.status import TaskStatus
from reception.models import Household, Person, ReceivedPayment, Task
from reception.services import protection_rules
from reception.services.checklist import Moved, blockers
from reception.services.tasks import tasks_of
from reception.services.versions import Versioned


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def month(value: date) -> str:
    return f"{value:%Y-%m}"


def _locale() -> str:
    locale = get_locale()
    return locale.language if locale else "sv"


def person(p: Person, today: date) -> dict[str, Any]:
    return {
        "id": p.id,
        "version": p.version,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "birth_date": _iso(p.birth_date),
        "age": age_on(p.birth_date, today),
        "personnummer": p.personnummer,
        "samordningsnummer": p.samordningsnummer,
        "registration_date": _iso(p.registration_date),
        "personnummer_date": _iso(p.personnummer_date),
        "samordningsnummer_date": _iso(p.samordningsnummer_date),
        "permit_date": _iso(p.permit_date),
        "registration_eligible_date": _iso(protection_rules.registration_eligible_date(p)),
        "previous_person_id": p.previous_person_id,
    }


def household(h: Household, today: date, *, members: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": h.id,
        "version": h.version,
        "reference": h.reference,
        "workflow": h.workflow_key,
        "workflow_version": h.workflow_version,
        "status": h.status,
        "assignment_date": _iso(h.assignment_date),
        "latest_reception_date": _iso(h.latest_reception_date),
        "reception_date": _iso(h.reception_date),
        "move_in_date": _iso(h.move_in_date),
        "move_out_date": _iso(h.move_out_date),
        "previous_household_id": h.previous_household_id,
        "coordinator_id": h.coordinator_id,
        "closed_reason": h.closed_reason,
        "closed_on": _iso(h.closed_on),
    }
    if members:
        data["members"] = [person(p, today) for p in h.members]
    return data


def task(t: Task, today: date, blockers: Sequence[Task] = ()) -> dict[str, Any]:
    status = TaskStatus(t.status)
    return {
        "id": t.id,
        "version": t.version,
        "key": t.key,
        "title": t.title(_locale()),
        "titles": {"sv": t.title_sv, "en": t.title_en},
        "household_id": t.household_id,
        "person_id": t.person_id,
        "due_date": _iso(t.due_date),
        "status": t.status,
        "overdue": bool(t.due_date and t.due_date < today and not status.is_settled),
        "completed_on": _iso(t.completed_on),
        "due_anchor": t.due_anchor,
        "waiting_for": t.waiting_for,
        "rolled_from": _iso(t.rolled_from),
        "blocked_by": [b.id for b in blockers],
        "assignee_id": t.assignee_id,
        "note": t.note,
        "waiting_on": t.waiting_on,
        "waiting_since": _iso(t.waiting_since),
    }


def task_in_household(t: Task, today: date) -> dict[str, Any]:
    """One task with the tasks of its household that block it."""
    blocked = blockers(t.household, tasks_of(t.household_id))
    return task(t, today, blocked.get(t.id, ()))


def received(p: ReceivedPayment) -> dict[str, Any]:
    return {
        "id": p.id,
        "version": p.version,
        "kind": p.kind,
        "month": month(p.month),
        "paid_on": p.paid_on.isoformat(),
        "amount_sek": p.amount_sek,
        "household_id": p.household_id,
        "person_id": p.person_id,
        "identity": p.identity,
        "reference": p.reference,
        "import_id": p.import_id,
        "import_line": p.import_line,
    }


def versioned(obj: Versioned, today: date) -> dict[str, Any]:
    """The JSON the API gives for a household, person, task or received payment."""
    if isinstance(obj, Household):
        return household(obj, today)
    if isinstance(obj, Person):
        return person(obj, today)
    if isinstance(obj, Task):
        return task_in_household(obj, today)
    return received(obj)


def moved(items: Sequence[Moved]) -> list[dict[str, Any]]:
    return [
        {
            "task_id": m.task.id,
            "key": m.task.key,
            "person_id": m.task.person_id,
            "old_due_date": _iso(m.old_due),
            "new_due_date": _iso(m.new_due),
        }
        for m in items
    ]


def _text(value: Text | None) -> dict[str, str] | None:
    return {"sv": value.sv, "en": value.en} if value else None


def _task_definition(t: TaskDefinition) -> dict[str, Any]:
    scope: Any = t.scope.kind
    if t.scope.kind == "age_range":
        scope = {"min_age": t.scope.min_age, "max_age": t.scope.max_age, "at": t.scope.at}
    due = None
    if t.due:
        due = {
            "anchor": list(t.due.anchors),
            "offset": t.due.offset,
            "unit": t.due.unit.value,
            "roll": t.due.roll.value,
        }
    return {
        "key": t.key,
        "title": _text(t.title),
        "description": _text(t.description),
        "scope": scope,
        "due": due,
        "depends_on": list(t.depends_on),
        "conditions": [{"fact": c.fact, c.operator: c.value} for c in t.conditions],
        "legal_basis": _text(t.legal_basis),
        "source": t.source,
        "reminder_days": t.reminder_days,
    }


def workflow(d: WorkflowDefinition) -> dict[str, Any]:
    return {
        "key": d.key,
        "version": d.version,
        "title": _text(d.title),
        "description": _text(d.description),
        "variant": d.variant,
        "tasks": [_task_definition(t) for t in d.tasks],
    }
