"""What a page shows of a task: its state, title and how its due date came about."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date, format_decimal, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from reception.engine.calendar import Roll, Unit, age_on
from reception.engine.definitions import TASK_ANCHOR_PREFIX, TaskDefinition
from reception.models import ChangeEvent, Task
from reception.services import reimbursements
from reception.services.finance_export import kind_label
from reception.services.workflows import definition_for
from reception.services.worklist import display_state

ANCHORS = {
    "assignment_date": _l("assignment date"),
    "latest_reception_date": _l("latest reception date"),
    "reception_date": _l("reception date"),
    "registration_date": _l("registration date (folkbokföring)"),
    "personnummer_date": _l("personnummer date"),
    "birth_date": _l("birth date"),
}


def locale_code() -> str:
    locale = get_locale()
    return locale.language if locale else "sv"


@dataclass(frozen=True)
class TaskView:
    task: Task
    state: str
    title: str
    description: str | None
    due_text: str | None  # e.g. "reception date + 14 days"
    rolled_text: str | None
    blocked_by: Sequence[Task]

    @property
    def id(self) -> int:
        return self.task.id


def present(task: Task, blocked_by: Sequence[Task], today: date) -> TaskView:
    locale = locale_code()
    definition = definition_for(task.household.workflow_key, task.household.workflow_version)
    spec = definition.task(task.key) if definition.has_task(task.key) else None
    return TaskView(
        task=task,
        state=display_state(task, blocked_by, today),
        title=task.title(locale),
        description=spec.description.get(locale) if spec and spec.description else None,
        due_text=_due_text(task, spec, locale) if spec else None,
        rolled_text=_rolled_text(task, spec) if spec else None,
        blocked_by=blocked_by,
    )


def anchor_label(anchor: str | None, locale: str, spec_of: TaskDefinition | None = None) -> str:
    if anchor and anchor.startswith(TASK_ANCHOR_PREFIX):
        title = spec_of.title.get(locale) if spec_of else anchor.removeprefix(TASK_ANCHOR_PREFIX)
        return _("“%(title)s” done", title=title)
    return str(ANCHORS.get(anchor or "", anchor or ""))


def _due_text(task: Task, spec: TaskDefinition, locale: str) -> str | None:
    rule = spec.due
    if rule is None:
        return None
    anchor = task.due_anchor or rule.anchors[0]
    anchor_spec = None
    if anchor.startswith(TASK_ANCHOR_PREFIX):
        definition = definition_for(task.household.workflow_key, task.household.workflow_version)
        key = anchor.removeprefix(TASK_ANCHOR_PREFIX)
        anchor_spec = definition.task(key) if definition.has_task(key) else None
    label = anchor_label(anchor, locale, anchor_spec)
    if rule.offset == 0:
        return label
    n = abs(rule.offset)
    amount = {
        Unit.DAYS: ngettext("%(num)d day", "%(num)d days", n),
        Unit.BUSINESS_DAYS: ngettext("%(num)d working day", "%(num)d working days", n),
        Unit.WEEKS: ngettext("%(num)d week", "%(num)d weeks", n),
        Unit.MONTHS: ngettext("%(num)d month", "%(num)d months", n),
    }[rule.unit]
    sign = "+" if rule.offset > 0 else "−"
    return f"{label} {sign} {amount}"


def _rolled_text(task: Task, spec: TaskDefinition) -> str | None:
    if task.rolled_from is None or spec.due is None:
        return None
    day = format_date(task.rolled_from, "medium")
    if spec.due.roll is Roll.PREVIOUS:
        return _("%(date)s is not a working day: moved to the working day before.", date=day)
    return _("%(date)s is not a working day: moved to the next working day.", date=day)


FIELDS = {
    "added": _l("added to the checklist, due"),
    "status": _l("status"),
    "due_date": _l("due date"),
    "completed_on": _l("done on"),
    "note": _l("note"),
    "waiting_on": _l("waiting on"),
    "assignee_id": _l("assigned to"),
    "reception_date": _l("reception date"),
    "latest_reception_date": _l("latest reception date"),
    "coordinator_id": _l("coordinator"),
    "registration_date": _l("registration date"),
    "personnummer": _l("personnummer"),
    "personnummer_date": _l("personnummer date"),
    "samordningsnummer": _l("samordningsnummer"),
    "given_name": _l("given name"),
    "family_name": _l("family name"),
    "birth_date": _l("birth date"),
    "member": _l("member"),
    "move_in_date": _l("move-in date"),
    "move_out_date": _l("move-out date"),
    "samordningsnummer_date": _l("samordningsnummer date"),
    "permit_date": _l("permit date"),
    "continued_in": _l("continues in case"),
    "previous_household": _l("continues the case"),
    "protection_end": _l("first day without protection"),
    "closed_on": _l("closed on"),
    "closed_reason": _l("reason for closing"),
}

STATUSES = {
    "open": _l("Open"),
    "waiting": _l("Waiting on authority"),
    "done": _l("Done"),
    "not_applicable": _l("Not applicable"),
    "withdrawn": _l("Withdrawn"),
}


def _payment_field(field: str) -> tuple[str, date] | None:
    """(kind, month) of an expected-payment history field such as "establishment 2026-05"."""
    kind, _sep, month = field.rpartition(" ")
    try:
        return kind, date.fromisoformat(f"{month}-01")
    except ValueError:
        return None


def task_label(task: Task, names: dict[int, str], locale: str) -> str:
    """A task's title, with the member's name for a per-person task (as in the history)."""
    title = task.title(locale)
    if task.person_id is None:
        return title
    return f"{title} – {names.get(task.person_id, '')}"


def event_subject(event: ChangeEvent, names: dict[int, str], titles: dict[int, str]) -> str:
    if event.entity == reimbursements.ENTITY and (parsed := _payment_field(event.field)):
        kind, month = parsed
        return _(
            "Expected payment: %(kind)s, %(month)s",
            kind=kind_label(kind),
            month=format_date(month, "LLLL yyyy"),
        )
    label = str(FIELDS.get(event.field, event.field))
    if event.entity == "task":
        return f"{titles.get(event.entity_id, '')}: {label}"
    if event.entity == "person":
        return f"{names.get(event.entity_id, '')}: {label}"
    return label[:1].upper() + label[1:]


def event_value(field: str, value: str | None, user_names: dict[int, str]) -> str:
    if value is None or value == "":
        return "–"
    if _payment_field(field) and value.isdigit():
        return _("%(amount)s kr", amount=format_decimal(int(value)))
    if field == "status":
        return str(STATUSES.get(value, value))
    if field.endswith("_date") or field in ("added", "completed_on", "closed_on", "protection_end"):
        try:
            return format_date(date.fromisoformat(value), "medium")
        except ValueError:
            return value
    if field in ("assignee_id", "coordinator_id") and value.isdigit():
        return user_names.get(int(value), value)
    return value


def age(birth_date: date, today: date) -> int:
    return age_on(birth_date, today)
