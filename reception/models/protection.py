"""Temporary protection and quotas: the end-of-protection scenario and the kommuntal.

The fördelningstal (places for temporary protection per year) is finance's figure and lives
in ``AllocationYear.tp_places`` (models/reimbursement.py); the kommuntal under the
Settlement Act lives here.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reception.extensions import db
from reception.models.tenancy import TenantScoped
from reception.models.user import User
from reception.timeutil import utcnow


class ProtectionEndScenario(TenantScoped, db.Model):
    """One decision on when temporary protection ends for the municipality's planning.

    Rows are never changed: the newest row is in force, the older ones are its history.
    ``protection_end`` is the first day without protection; NULL returns to the date in
    the rate files (the day after ``permits_valid_through``).
    """

    __tablename__ = "protection_end_scenario"

    id: Mapped[int] = mapped_column(primary_key=True)
    protection_end: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    set_by: Mapped[User | None] = relationship()


class SettlementQuota(TenantScoped, db.Model):
    """The kommuntal: people the municipality is to receive under the Settlement Act in a year."""

    __tablename__ = "settlement_quota"
    __table_args__ = (
        UniqueConstraint("municipality_id", "year"),
        CheckConstraint("persons >= 0", name="persons_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    persons: Mapped[int]
    note: Mapped[str | None] = mapped_column(String(300))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    updated_by: Mapped[User | None] = relationship()
