"""The in-app notification list of the signed-in user (bound tenant)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from reception.extensions import db
from reception.models import Notification, Task, User
from reception.models.tenancy import get_in_tenant
from reception.services.errors import NotFound
from reception.timeutil import utcnow

DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class NotificationPage:
    items: list[Notification]
    unread: int


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def list_for(
    user: User, *, unread_only: bool = False, limit: int = DEFAULT_LIMIT
) -> NotificationPage:
    """The user's newest notifications (optionally only unread) and the unread count."""
    query = select(Notification).where(Notification.recipient_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    items = db.session.scalars(
        query.order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
        # What the texts name (task, person, household): loaded up front, not per row.
        .options(
            selectinload(Notification.task).selectinload(Task.person),
            selectinload(Notification.household),
        )
    ).all()
    return NotificationPage(list(items), unread_count(user))


def mark_read(user: User, notification_id: int) -> Notification:
    notification = get_in_tenant(db.session, Notification, notification_id)
    if notification is None or notification.recipient_id != user.id:
        raise NotFound(_("No such notification."), "id")
    if notification.read_at is None:
        notification.read_at = utcnow()
    db.session.commit()
    return notification


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; returns how many."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount or 0


def set_digest(user: User, enabled: bool) -> User:
    user.digest_enabled = enabled
    db.session.commit()
    return user
