"""Tasks of a household's checklist and the history of every change."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reception.engine.status import TaskStatus
from reception.extensions import db
from reception.models.household import Household, Person
from reception.models.tenancy import TenantScoped
from reception.models.user import User
from reception.timeutil import utcnow


class Task(TenantScoped, db.Model):
    __tablename__ = "task"
    __table_args__ = (
        # One task per definition key and member; coalesce makes household tasks unique too.
        Index(
            "uq_task_household_key_person",
            "household_id",
            "key",
            text("coalesce(person_id, 0)"),
            unique=True,
        ),
        Index("ix_task_status_due", "municipality_id", "status", "due_date"),
        # The reminder sweep scans unsettled tasks by due date across municipalities.
        Index(
            "ix_task_unsettled_due",
            "due_date",
            sqlite_where=text("status IN ('open', 'waiting')"),
            postgresql_where=text("status IN ('open', 'waiting')"),
        ),
        # Alerts about one kind of task (the end of the civic-orientation duty).
        Index(
            "ix_task_unsettled_key_due",
            "key",
            "due_date",
            sqlite_where=text("status IN ('open', 'waiting')"),
            postgresql_where=text("status IN ('open', 'waiting')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    key: Mapped[str] = mapped_column(String(60))
    title_sv: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date | None] = mapped_column(Date)
    # The anchor the due date was computed from, or the one it still waits for.
    due_anchor: Mapped[str | None] = mapped_column(String(60))
    waiting_for: Mapped[str | None] = mapped_column(String(60))
    # The computed date before it was rolled to a working day, if it was.
    rolled_from: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=TaskStatus.OPEN.value)
    completed_on: Mapped[date | None] = mapped_column(Date)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    # For status "waiting": which authority or answer, and since when.
    waiting_on: Mapped[str | None] = mapped_column(String(200))
    waiting_since: Mapped[date | None] = mapped_column(Date)
    reminder_days: Mapped[int] = mapped_column(default=3)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own protocol

    household: Mapped[Household] = relationship(back_populates="tasks")
    person: Mapped[Person | None] = relationship()
    assignee: Mapped[User | None] = relationship()

    @property
    def task_status(self) -> TaskStatus:
        return TaskStatus(self.status)

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_sv

    def __repr__(self) -> str:
        return f"<Task {self.key} person={self.person_id} due={self.due_date}>"


class ChangeSet(TenantScoped, db.Model):
    """One operation on a household (registered, dates changed, task completed …).

    Groups the field-level ChangeEvents it caused, so the history reads as operations.
    """

    __tablename__ = "change_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    reason: Mapped[str] = mapped_column(String(300))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    # Loaded with it (a join, no query of its own): the history shows who did the operation.
    actor: Mapped[User | None] = relationship(lazy="joined")


class ChangeEvent(TenantScoped, db.Model):
    """One changed field: who changed what, when, from what to what, and why."""

    __tablename__ = "change_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    # The operation it belongs to (NULL for rows written before operations were grouped).
    change_set_id: Mapped[int | None] = mapped_column(ForeignKey("change_set.id"), index=True)
    entity: Mapped[str] = mapped_column(String(20))  # household | person | task
    entity_id: Mapped[int]
    field: Mapped[str] = mapped_column(String(60))
    old_value: Mapped[str | None] = mapped_column(String(500))
    new_value: Mapped[str | None] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(String(300))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()
    # Joined into every load of events: the history is shown grouped by operation, and a
    # join keeps the number of queries of a page the same however long the history is.
    change_set: Mapped[ChangeSet | None] = relationship(lazy="joined")
