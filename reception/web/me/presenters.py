"""What the notification list shows of a notification."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from reception.models import Notification, NotificationKind, Role, User
from reception.reminders.messages import app_path, describe

KIND_LABELS = {
    NotificationKind.REMINDER: _l("Reminder"),
    NotificationKind.OVERDUE: _l("Overdue"),
    NotificationKind.ESCALATION: _l("Escalation"),
    NotificationKind.DIGEST: _l("Daily summary"),
    NotificationKind.RECEPTION_DEADLINE_14: _l("Latest reception date"),
    NotificationKind.RECEPTION_DEADLINE_7: _l("Latest reception date"),
    NotificationKind.PROTECTION_END_3M: _l("Temporary protection"),
    NotificationKind.PROTECTION_END_1M: _l("Temporary protection"),
    NotificationKind.CIVIC_DUTY_END_6M: _l("Civic orientation"),
    NotificationKind.CIVIC_DUTY_END_1M: _l("Civic orientation"),
}


@dataclass(frozen=True)
class NotificationView:
    notification: Notification
    kind: str
    subject: str
    lines: list[str]
    url: str | None

    @property
    def id(self) -> int:
        return self.notification.id

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None


def present(notification: Notification, user: User, locale: str) -> NotificationView:
    kind = notification.notification_kind
    url: str | None = request.script_root + app_path(notification)
    if kind is NotificationKind.DIGEST:
        # The e-mail listed the tasks as they stood that morning; recounting them here
        # would show today's state under an old date. The work list has the current one.
        subject = _(
            "Your daily summary for %(date)s", date=format_date(notification.for_date, "long")
        )
        lines: list[str] = []
        if not user.has_role(Role.COORDINATOR, Role.MANAGER):
            url = None
    else:
        message = describe(notification, locale)
        subject, lines = message.subject, message.lines
    return NotificationView(notification, str(KIND_LABELS[kind]), subject, lines, url)
