"""Money the state owes the municipality: expected payments, received payments, imports.

Amounts are whole kronor in BigInteger columns (never Float or Numeric with öre): the
schablons are whole kronor and Migrationsverket pays them as such (docs/reimbursements.md).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reception.extensions import db
from reception.models.household import Household, Person
from reception.models.tenancy import TenantScoped
from reception.models.user import User
from reception.timeutil import utcnow


class ExpectedPayment(TenantScoped, db.Model):
    """One payment the municipality should receive, as computed from the rates.

    Kept in line with the household's dates by services/reimbursements.py, which updates
    rows in place and writes each change to the history. ``household_id`` is NULL for
    payments that belong to the municipality itself (``tp_place``, per fördelningstal place).
    """

    __tablename__ = "expected_payment"
    __table_args__ = (
        # coalesce makes the municipality-level rows (no household, no person) unique too.
        Index(
            "uq_expected_payment_key",
            "municipality_id",
            text("coalesce(household_id, 0)"),
            text("coalesce(person_id, 0)"),
            "kind",
            "month",
            unique=True,
        ),
        Index("ix_expected_payment_month", "municipality_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    month: Mapped[date] = mapped_column(Date)  # first day of the month
    amount_sek: Mapped[int] = mapped_column(BigInteger)
    rule: Mapped[str] = mapped_column(String(400))
    rate_year: Mapped[int]
    age_used: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    household: Mapped[Household | None] = relationship()
    person: Mapped[Person | None] = relationship()

    def __repr__(self) -> str:
        return f"<ExpectedPayment {self.kind} {self.month:%Y-%m} {self.amount_sek} kr>"


class AllocationYear(TenantScoped, db.Model):
    """Finance's figures for one year: the fördelningstal for temporary protection."""

    __tablename__ = "allocation_year"
    __table_args__ = (UniqueConstraint("municipality_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    # Places of the fördelningstal (people under temporary protection to house that year).
    tp_places: Mapped[int]
    note: Mapped[str | None] = mapped_column(String(300))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    updated_by: Mapped[User | None] = relationship()


class PaymentImport(TenantScoped, db.Model):
    """One imported payment specification file; its hash refuses a second import."""

    __tablename__ = "payment_import"
    __table_args__ = (UniqueConstraint("municipality_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int]
    total_sek: Mapped[int] = mapped_column(BigInteger)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    imported_by: Mapped[User | None] = relationship()
    payments: Mapped[list[ReceivedPayment]] = relationship(
        back_populates="payment_import", cascade="all, delete-orphan"
    )


class ReceivedPayment(TenantScoped, db.Model):
    """Money actually received, entered by hand or imported from a payment specification.

    ``identity`` keeps the personnummer/samordningsnummer or case reference exactly as the
    payer gave it, so a payment for someone Mottagning does not know is still traceable;
    ``household_id``/``person_id`` are what it was matched to (NULL when unknown).
    """

    __tablename__ = "received_payment"
    __table_args__ = (Index("ix_received_payment_month", "municipality_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    month: Mapped[date] = mapped_column(Date)  # the period paid for, first day of the month
    paid_on: Mapped[date] = mapped_column(Date)
    amount_sek: Mapped[int] = mapped_column(BigInteger)  # negative for a repayment
    identity: Mapped[str | None] = mapped_column(String(50))
    reference: Mapped[str | None] = mapped_column(String(200))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("payment_import.id"), index=True)
    # Line of the imported file, for tracing a row back to the specification.
    import_line: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own protocol

    household: Mapped[Household | None] = relationship()
    person: Mapped[Person | None] = relationship()
    payment_import: Mapped[PaymentImport | None] = relationship(back_populates="payments")
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ReceivedPayment {self.kind} {self.month:%Y-%m} {self.amount_sek} kr>"
