"""What a notification says, in the current locale: for the e-mail and the in-app list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from reception.engine.status import TaskStatus
from reception.extensions import db
from reception.models import Household, HouseholdStatus, Notification, NotificationKind, Task
from reception.reminders import rules


@dataclass(frozen=True)
class DigestSection:
    heading: str
    items: list[str]


@dataclass(frozen=True)
class Message:
    subject: str
    lines: list[str] = field(default_factory=list)
    sections: list[DigestSection] = field(default_factory=list)


def _day(value: date) -> str:
    return format_date(value, "long")


def _task_label(task: Task, locale: str) -> str:
    label = task.title(locale)
    if task.person is not None:
        label = f"{label} – {task.person.full_name}"
    return label


def app_path(notification: Notification) -> str:
    """Where in the app a notification leads: the task on its household page, the
    household, or (a digest) the work list. A path, so that the scheduler can build the
    e-mail's link from BASE_URL without a request, and pages from their script root."""
    if notification.household_id is None:
        return "/tasks"
    path = f"/households/{notification.household_id}"
    if notification.task_id is not None:
        path += f"#task-{notification.task_id}"
    return path


def describe(notification: Notification, locale: str) -> Message:
    kind = notification.notification_kind
    payload = notification.payload or {}
    when = _day(notification.for_date)
    if kind is NotificationKind.DIGEST:
        return _digest(notification, locale)
    household = notification.household
    reference = household.reference if household else ""
    if kind.subject == "household":
        if kind in (NotificationKind.RECEPTION_DEADLINE_14, NotificationKind.RECEPTION_DEADLINE_7):
            return Message(
                _(
                    "Latest reception date in %(days)d days: %(reference)s",
                    days=payload.get("days_before", 0),
                    reference=reference,
                ),
                [
                    _(
                        "Household %(reference)s must be received by %(date)s at the latest "
                        "(the date in the assignment decision). No reception date is recorded yet.",
                        reference=reference,
                        date=when,
                    )
                ],
            )
        return Message(
            _(
                "Temporary protection ends on %(date)s: %(reference)s",
                date=when,
                reference=reference,
            ),
            [
                _(
                    "The permits under the temporary protection directive for household "
                    "%(reference)s run until %(date)s. Plan the next steps with the family.",
                    reference=reference,
                    date=when,
                )
            ],
        )
    task = notification.task
    assert task is not None
    label = _task_label(task, locale)
    detail = _("Household %(reference)s.", reference=reference)
    if kind is NotificationKind.REMINDER:
        subject = _("Reminder: %(task)s is due on %(date)s", task=label, date=when)
    elif kind is NotificationKind.OVERDUE:
        subject = _("Overdue: %(task)s was due on %(date)s", task=label, date=when)
    elif kind is NotificationKind.ESCALATION:
        subject = _(
            "Escalation: %(task)s is %(days)d working days overdue",
            task=label,
            days=payload.get("business_days", 0),
        )
        detail = _(
            "Household %(reference)s. The task was due on %(date)s and is still not done.",
            reference=reference,
            date=when,
        )
    else:
        subject = _("The civic orientation duty ends on %(date)s: %(task)s", date=when, task=label)
        detail = _(
            "Household %(reference)s. After this date the municipality no longer has to "
            "offer civic orientation.",
            reference=reference,
        )
    return Message(subject, [detail])


def digest_tasks(user_id: int, day: date) -> tuple[list[Task], list[Task], list[Task]]:
    """The user's open tasks: overdue, due on `day`, due in the next days (system session)."""
    horizon = day + timedelta(days=rules.DIGEST_HORIZON_DAYS)
    tasks = db.session.scalars(
        select(Task)
        .join(Household, Household.id == Task.household_id)
        .where(
            Task.status == TaskStatus.OPEN.value,
            Task.due_date <= horizon,
            Household.status == HouseholdStatus.OPEN.value,
            (Task.assignee_id == user_id)
            | (Task.assignee_id.is_(None) & (Household.coordinator_id == user_id)),
        )
        .order_by(Task.due_date, Task.id)
    ).all()
    overdue = [t for t in tasks if t.due_date and t.due_date < day]
    today = [t for t in tasks if t.due_date == day]
    soon = [t for t in tasks if t.due_date and t.due_date > day]
    return overdue, today, soon


def _digest(notification: Notification, locale: str) -> Message:
    day = notification.for_date
    overdue, today, soon = digest_tasks(notification.recipient_id, day)

    def item(task: Task) -> str:
        assert task.due_date is not None
        return f"{_day(task.due_date)}: {_task_label(task, locale)} ({task.household.reference})"

    sections = [
        DigestSection(heading, [item(t) for t in tasks])
        for heading, tasks in (
            (_("Overdue"), overdue),
            (_("Due today"), today),
            (_("Due in the next %(days)d days", days=rules.DIGEST_HORIZON_DAYS), soon),
        )
        if tasks
    ]
    return Message(
        _(
            "Your tasks on %(date)s: %(overdue)d overdue, %(today)d due today, %(soon)d coming up",
            date=_day(day),
            overdue=len(overdue),
            today=len(today),
            soon=len(soon),
        ),
        sections=sections,
    )
