"""Notifications (reminders, overdue notices, escalations, digests, alerts) and sweep records."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reception.extensions import db
from reception.models.household import Household
from reception.models.task import Task
from reception.models.tenancy import TenantScoped
from reception.models.user import User
from reception.timeutil import utcnow


class NotificationKind(StrEnum):
    """What a notification is about; the kind also says what `subject_id` refers to."""

    REMINDER = "reminder"  # task: due in N days
    OVERDUE = "overdue"  # task: the day after the due date
    ESCALATION = "escalation"  # task, to managers: M working days overdue
    DIGEST = "digest"  # user: the coordinator's daily summary
    RECEPTION_DEADLINE_14 = "reception_deadline_14"  # household: latest reception date in 14 days
    RECEPTION_DEADLINE_7 = "reception_deadline_7"  # household: … in 7 days
    PROTECTION_END_3M = "protection_end_3m"  # household: temporary protection ends in 3 months
    PROTECTION_END_1M = "protection_end_1m"  # household: … in 1 month
    CIVIC_DUTY_END_6M = "civic_duty_end_6m"  # task: the civic-orientation duty ends in 6 months
    CIVIC_DUTY_END_1M = "civic_duty_end_1m"  # task: … in 1 month

    @property
    def subject(self) -> str:
        if self is NotificationKind.DIGEST:
            return "user"
        if self.value.startswith(("reception_deadline", "protection_end")):
            return "household"
        return "task"


class Notification(TenantScoped, db.Model):
    """One notification to one user, created exactly once by the sweep.

    The key (recipient, kind, subject, for_date) is unique: every sweep inserts with
    ON CONFLICT DO NOTHING, so repeated or concurrent sweeps cannot create a second row.
    `for_date` is the date the notification is about: the task's due date (reminders,
    overdue notices, escalations, civic-duty alerts), the latest reception date or the
    end of protection (household alerts), or the day of a digest. A moved due date is a
    new date and so gets its own reminders.
    """

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint(
            "recipient_id", "kind", "subject_id", "for_date", name="uq_notification_key"
        ),
        # The delivery queue: undelivered rows in id order.
        Index(
            "ix_notification_undelivered",
            "id",
            sqlite_where=db.text("delivered_at IS NULL"),
            postgresql_where=db.text("delivered_at IS NULL"),
        ),
        Index("ix_notification_recipient_read", "recipient_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(30))
    # A task id, household id or user id, by kind (NotificationKind.subject).
    subject_id: Mapped[int]
    for_date: Mapped[date] = mapped_column(Date)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # E-mail delivery: set in the same transaction that records the send attempt.
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    recipient: Mapped[User] = relationship()
    task: Mapped[Task | None] = relationship()
    household: Mapped[Household | None] = relationship()

    @property
    def notification_kind(self) -> NotificationKind:
        return NotificationKind(self.kind)


class SweepRun(db.Model):
    """A completed sweep, one row per day swept: the scheduler's memory across restarts.

    Not tenant-owned: one sweep covers every municipality.
    """

    __tablename__ = "sweep_run"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created: Mapped[int] = mapped_column(default=0)
