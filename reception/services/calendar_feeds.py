"""Per-user calendar feeds: a secret URL with the user's open tasks as all-day events.

Only the SHA-256 of the secret is stored; creating a new feed replaces the old URL, and
revoking removes it. Outlook, Google Calendar and Apple Calendar subscribe to the URL.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from reception.engine.status import TaskStatus
from reception.extensions import db
from reception.models import Household, HouseholdStatus, Task, User
from reception.models.tenancy import system, tenant
from reception.services.errors import Conflict

TOKEN_PREFIX = "cal_"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_feed(user: User) -> str:
    """A new secret for the user's feed (replacing any earlier one); returned once."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user.calendar_token_hash = _hash(raw)
    try:
        db.session.commit()
    except IntegrityError as exc:  # a collision of 256-bit secrets: practically never
        db.session.rollback()
        raise Conflict(_("Could not create the feed; try again."), "token") from exc
    return raw


def revoke_feed(user: User) -> bool:
    """Remove the user's feed; False when there was none."""
    had = user.calendar_token_hash is not None
    user.calendar_token_hash = None
    db.session.commit()
    return had


def user_for_feed(raw: str) -> User | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    with system(db.session):
        user = db.session.scalar(select(User).where(User.calendar_token_hash == _hash(raw)))
    if user is None or not user.active:
        return None
    return user


def feed_tasks(user: User) -> list[Task]:
    """The user's unsettled tasks with a due date: assigned to them, or unassigned in their
    households."""
    with tenant(db.session, user.municipality_id):
        return list(
            db.session.scalars(
                select(Task)
                .join(Household, Household.id == Task.household_id)
                .where(
                    Task.status.in_((TaskStatus.OPEN.value, TaskStatus.WAITING.value)),
                    Task.due_date.is_not(None),
                    Household.status == HouseholdStatus.OPEN.value,
                    (Task.assignee_id == user.id)
                    | (Task.assignee_id.is_(None) & (Household.coordinator_id == user.id)),
                )
                .order_by(Task.due_date, Task.id)
            )
        )


def feed_ics(user: User, host: str) -> bytes:
    """The iCalendar document; UIDs are stable per task so edits update the same event."""
    locale = user.locale if user.locale in ("sv", "en") else "sv"
    calendar = Calendar()
    calendar.add("prodid", "-//Mottagning//Calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    with force_locale(locale):
        calendar.add("x-wr-calname", _("Mottagning – my tasks"))
        with tenant(db.session, user.municipality_id):
            for task in feed_tasks(user):
                calendar.add_component(_event(task, locale, host))
    return calendar.to_ical()


def _event(task: Task, locale: str, host: str) -> Event:
    assert task.due_date is not None
    due: date = task.due_date
    title = task.title(locale)
    if task.person is not None:
        title = f"{title} – {task.person.full_name}"
    summary = f"{title} ({task.household.reference})"
    if task.status == TaskStatus.WAITING.value:
        summary = _("Waiting: %(summary)s", summary=summary)
    event = Event()
    event.add("uid", f"task-{task.id}@{host}")
    event.add("summary", summary)
    event.add("dtstart", due)
    event.add("dtend", due + timedelta(days=1))
    # SQLite hands back naive datetimes; every stored timestamp is UTC.
    stamp = task.updated_at if task.updated_at.tzinfo else task.updated_at.replace(tzinfo=UTC)
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    event.add("transp", "TRANSPARENT")
    description = [_("Household %(reference)s.", reference=task.household.reference)]
    if task.waiting_on:
        description.append(_("Waiting on: %(authority)s", authority=task.waiting_on))
    event.add("description", "\n".join(description))
    return event
