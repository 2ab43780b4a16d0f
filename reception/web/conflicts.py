"""Forms sent from an older copy of a page: what the other person changed, and who.

Every form that edits a household, person, task or received payment carries the version it
was rendered with (hidden `version`) and the values it showed (hidden `orig-<field>`). The
service refuses a write from an older version (StaleVersion, 409); the view then shows the
page again with what the user changed kept on top of the stored values, the new version and
origs in the form (so that the next submit, after checking, is saved), and a message naming
each shown field that changed since the page was opened, its value now and who changed it
(the latest ChangeEvent on it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from reception.extensions import db
from reception.models import ChangeEvent, Household, Person, ReceivedPayment, Task, User
from reception.models.tenancy import get_in_tenant
from reception.services.finance_export import kind_label
from reception.services.versions import FIELD as VERSION
from reception.services.versions import StaleVersion, Versioned
from reception.web.presenters import STATUSES

ORIG = "orig-"

# A stale write: refused by the service's version check under the lock, or, in a race the
# lock did not serialise (SQLite has no row locks), by the version in the UPDATE's WHERE.
STALE = (StaleVersion, StaleDataError)

# The fields each form shows of its object (their origs are what the message compares).
HOUSEHOLD_DATES = ("reception_date", "latest_reception_date", "coordinator_id")
HOUSING = ("move_in_date", "move_out_date")
PERSON = ("registration_date", "personnummer", "personnummer_date")
PERMIT = ("permit_date", "samordningsnummer_date")
TASK = ("status", "due_date", "completed_on", "waiting_on", "note")

# Each field as its form labels it (the message names fields the way the user saw them).
LABELS = {
    "reception_date": _l("Reception date"),
    "latest_reception_date": _l("Latest reception date"),
    "coordinator_id": _l("Coordinator"),
    "move_in_date": _l("Move-in date"),
    "move_out_date": _l("Move-out date"),
    "registration_date": _l("Registration date (folkbokföring)"),
    "personnummer": _l("Personnummer or samordningsnummer"),
    "personnummer_date": _l("Date of the personnummer decision"),
    "permit_date": _l("Date of the residence permit (temporary protection)"),
    "samordningsnummer_date": _l("Date of the samordningsnummer"),
    "status": _l("Status"),
    "due_date": _l("Due"),
    "completed_on": _l("Done on"),
    "waiting_on": _l("Waiting on"),
    "note": _l("Note"),
    "paid_on": _l("Payment date"),
    "amount_sek": _l("Amount in kronor"),
    "kind": _l("Kind of reimbursement"),
    "month": _l("Period"),
    "case_reference": _l("Case reference"),
    "reference": _l("Reference text"),
}

# History fields behind a shown field, where they differ from its name.
_EVENT_FIELDS = {"personnummer": ("personnummer", "samordningsnummer")}


def form_text(value: Any) -> str:
    """A stored value as a form holds it: ISO dates, ids as digits, nothing as ''."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def shown(obj: Household | Person | Task) -> dict[str, str]:
    """What the household page and the task items show of a household, member or task."""
    if isinstance(obj, Household):
        fields: Iterable[str] = (*HOUSEHOLD_DATES, *HOUSING)
    elif isinstance(obj, Person):
        values = {f: form_text(getattr(obj, f)) for f in (*PERSON, *PERMIT)}
        # The member form shows whichever number the person has.
        values["personnummer"] = obj.personnummer or obj.samordningsnummer or ""
        return values
    else:
        fields = TASK
    return {f: form_text(getattr(obj, f)) for f in fields}


def version_sent(form: Mapping[str, str]) -> dict[str, str]:
    """The `version` a form carried, for the service's check (nothing if it carried none)."""
    return {VERSION: form[VERSION]} if VERSION in form else {}


def edited(values: Mapping[str, Any], form: Mapping[str, str]) -> dict[str, Any]:
    """The values the user changed from what the form showed (a field without an orig is
    the user's input): a stale form is shown again with these on top of the stored values,
    so that saving it again does not undo the other person's changes to the other fields."""
    return {f: v for f, v in values.items() if form.get(ORIG + f) != v}


def is_behind(current: Versioned, form: Mapping[str, str]) -> bool:
    """Was the form rendered from an older version than the stored one?"""
    sent = form.get(VERSION, "")
    return sent.isdigit() and int(sent) != current.version


@dataclass(frozen=True)
class Changed:
    label: str
    value: str  # its value now, as the page shows it
    actor: str  # who changed it last


@dataclass(frozen=True)
class StaleForm:
    """A refused stale form: the id the error summary links to and what to tell the user."""

    target: str
    message: str


@dataclass(frozen=True)
class TaskInput:
    """A refused task action, for showing its item again (templates/tasks/_item.html)."""

    task_id: int
    form: str  # which of the item's forms: complete, wait, not_applicable, note, …
    values: Mapping[str, str]  # what the user had entered in it
    stale: StaleForm | None


def stale_form(
    current: Versioned,
    form: Mapping[str, str],
    target: str,
    now: Mapping[str, str] | None = None,
) -> StaleForm:
    """Compare the form's origs with the stored object and name what changed and who.

    `now` is what the form would show of `current` today (default: `shown(current)`); a
    payment's form shows derived values, so its view passes them.
    """
    if now is None:
        assert not isinstance(current, ReceivedPayment), "a payment's view passes its values"
        now = shown(current)
    entity = _entity(current)
    changed = []
    for field, value in now.items():
        key = ORIG + field
        if key not in form or form[key].strip() == value:
            continue
        changed.append(
            Changed(
                label=str(LABELS.get(field, field)),
                value=_display(field, value),
                actor=_actor(entity, current.id, _EVENT_FIELDS.get(field, (field,))),
            )
        )
    return StaleForm(target, _message(current, entity, changed))


def _entity(obj: Versioned) -> str | None:
    """The ChangeEvent entity of an object (payments have no field history)."""
    if isinstance(obj, Household):
        return "household"
    if isinstance(obj, Person):
        return "person"
    if isinstance(obj, Task):
        return "task"
    return None


def _actor(entity: str | None, entity_id: int, fields: Iterable[str] | None) -> str:
    """The name of whoever made the latest recorded change (to `fields`, if given)."""
    if entity is None:
        return _("Someone else")
    query = (
        select(ChangeEvent)
        .where(ChangeEvent.entity == entity, ChangeEvent.entity_id == entity_id)
        .options(selectinload(ChangeEvent.actor))
        .order_by(ChangeEvent.at.desc(), ChangeEvent.id.desc())
        .limit(1)
    )
    if fields is not None:
        query = query.where(ChangeEvent.field.in_(tuple(fields)))
    event = db.session.scalar(query)
    if event is None or event.actor is None:
        return _("Someone else")
    return event.actor.name


def _display(field: str, value: str) -> str:
    if value == "":
        return _("empty")
    if field in ("coordinator_id", "assignee_id") and value.isdigit():
        user = get_in_tenant(db.session, User, int(value))
        return user.name if user else value
    if field == "status":
        return str(STATUSES.get(value, value))
    if field == "kind":
        return kind_label(value)
    return value


def _message(current: Versioned, entity: str | None, changed: list[Changed]) -> str:
    locale = get_locale() or "sv"
    if changed:
        by_actor: dict[str, list[str]] = {}
        for change in changed:
            by_actor.setdefault(change.actor, []).append(
                _("%(field)s (now: %(value)s)", field=change.label, value=change.value)
            )
        clauses = [
            _("%(who)s changed %(fields)s", who=who, fields=format_list(items, locale=locale))
            for who, items in by_actor.items()
        ]
    else:
        # The version moved but none of the fields this form shows: say who changed what.
        clauses = [_changed_this(current, _actor(entity, current.id, None))]
    what = _("%(changes)s after you opened the page.", changes=format_list(clauses, locale=locale))
    kept = _("Your input is kept below: check it and save again.")
    return f"{what} {kept}"


def _changed_this(current: Versioned, who: str) -> str:
    if isinstance(current, Household):
        return _("%(who)s changed this household", who=who)
    if isinstance(current, Person):
        return _("%(who)s changed this person", who=who)
    if isinstance(current, Task):
        return _("%(who)s changed this task", who=who)
    assert isinstance(current, ReceivedPayment)
    return _("%(who)s changed this payment", who=who)
