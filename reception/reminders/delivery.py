"""Delivering notifications by e-mail, each exactly once in normal operation.

One notification per transaction: the row is locked (FOR UPDATE SKIP LOCKED on
PostgreSQL, so concurrent deliverers take different rows; BEGIN IMMEDIATE on SQLite,
which has one writer at a time), sent, and marked delivered — or its failed attempt
recorded — by the commit of that same transaction. Only a crash after the SMTP server
has accepted the message and before that commit sends it again, with the same
Message-ID. See docs/reminders.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from reception.models import Notification, NotificationKind
from reception.models.tenancy import system
from reception.reminders.mail import Mailer
from reception.reminders.messages import app_path, describe
from reception.timeutil import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class DeliveryResult:
    sent: int
    failed: int


def message_id(notification: Notification, domain: str) -> str:
    stamp = int(notification.created_at.timestamp())
    return f"<mottagning-notification-{notification.id}-{stamp}@{domain}>"


def build_message(notification: Notification, mailer: Mailer) -> EmailMessage:
    """The e-mail for one notification, in the recipient's language."""
    user = notification.recipient
    locale = user.locale if user.locale in ("sv", "en") else "sv"
    with force_locale(locale):
        content = describe(notification, locale)
        # Built from BASE_URL: the scheduler renders mail outside any request.
        base = current_app.config["BASE_URL"].rstrip("/")
        context = {
            "message": content,
            "link": base + app_path(notification),
            "settings_link": f"{base}/me",
            "locale": locale,
            "digest": notification.kind == NotificationKind.DIGEST.value,
        }
        plain = render_template("email/notification.txt", **context)
        html = render_template("email/notification.html", **context)
    message = EmailMessage()
    message["Subject"] = content.subject
    message["From"] = mailer.sender
    message["To"] = formataddr((user.name, user.email))
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id(notification, mailer.domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(plain)
    message.add_alternative(html, subtype="html")
    return message


def _begin(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("BEGIN IMMEDIATE"))


def _claim_next(session: Session, after_id: int) -> Notification | None:
    notification_id = session.scalar(
        select(Notification.id)
        .where(
            Notification.delivered_at.is_(None),
            Notification.attempts < MAX_ATTEMPTS,
            Notification.id > after_id,
        )
        .order_by(Notification.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return session.get(Notification, notification_id) if notification_id is not None else None


def deliver_pending(session: Session, mailer: Mailer, limit: int = 1000) -> DeliveryResult:
    """Send up to `limit` undelivered notifications; each is its own transaction."""
    sent = failed = 0
    last_id = 0
    session.commit()
    with system(session):
        while sent + failed < limit:
            try:
                _begin(session)
                notification = _claim_next(session, last_id)
                if notification is None:
                    session.commit()
                    break
                last_id = notification.id
                if _deliver_one(notification, mailer):
                    sent += 1
                else:
                    failed += 1
                session.commit()
            except BaseException:
                session.rollback()
                raise
    if sent or failed:
        log.info("delivery: %d sent, %d failed", sent, failed)
    return DeliveryResult(sent, failed)


def _deliver_one(notification: Notification, mailer: Mailer) -> bool:
    notification.attempts += 1
    if not notification.recipient.active:
        notification.attempts = MAX_ATTEMPTS
        notification.last_error = "not sent: the user is no longer active"
        return False
    try:
        mailer.send(build_message(notification, mailer))
    except Exception as exc:
        log.warning("notification %s not sent: %s", notification.id, exc)
        notification.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        return False
    notification.delivered_at = utcnow()
    notification.last_error = None
    return True
