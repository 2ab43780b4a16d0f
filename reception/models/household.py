"""A household assigned to (or settled in) the municipality, and its members."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reception.extensions import db
from reception.models.tenancy import TenantScoped
from reception.models.user import User
from reception.timeutil import utcnow

if TYPE_CHECKING:
    from reception.models.task import Task


class HouseholdStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Household(TenantScoped, db.Model):
    __tablename__ = "household"
    __table_args__ = (UniqueConstraint("municipality_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The municipality's own case reference (diarienummer or similar).
    reference: Mapped[str] = mapped_column(String(50))
    workflow_key: Mapped[str] = mapped_column(String(60), index=True)
    workflow_version: Mapped[int]
    assignment_date: Mapped[date] = mapped_column(Date)
    latest_reception_date: Mapped[date] = mapped_column(Date)
    reception_date: Mapped[date | None] = mapped_column(Date)
    # Temporary protection: into and out of the municipality's housing (payments run between).
    move_in_date: Mapped[date | None] = mapped_column(Date)
    move_out_date: Mapped[date | None] = mapped_column(Date)
    # The case this one continues: a settlement case opened when members under temporary
    # protection were registered points at their temporary-protection case.
    previous_household_id: Mapped[int | None] = mapped_column(
        ForeignKey("household.id"), index=True
    )
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=HouseholdStatus.OPEN.value, index=True)
    closed_reason: Mapped[str | None] = mapped_column(String(200))
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    # Optimistic concurrency: raised on every UPDATE, which also checks it (services/versions.py).
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own protocol

    coordinator: Mapped[User | None] = relationship()
    previous_household: Mapped[Household | None] = relationship(remote_side="Household.id")
    members: Mapped[list[Person]] = relationship(
        back_populates="household", order_by="Person.birth_date, Person.id"
    )
    tasks: Mapped[list[Task]] = relationship(back_populates="household")

    def __repr__(self) -> str:
        return f"<Household {self.reference}>"


class Person(TenantScoped, db.Model):
    __tablename__ = "person"
    __table_args__ = (
        # An identity number belongs to one person in a municipality (payments are matched by it).
        Index(
            "uq_person_personnummer",
            "municipality_id",
            "personnummer",
            unique=True,
            sqlite_where=text("personnummer IS NOT NULL"),
            postgresql_where=text("personnummer IS NOT NULL"),
        ),
        Index(
            "uq_person_samordningsnummer",
            "municipality_id",
            "samordningsnummer",
            unique=True,
            sqlite_where=text("samordningsnummer IS NOT NULL"),
            postgresql_where=text("samordningsnummer IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    # Twelve digits with a hyphen, YYYYMMDD-NNNN; a samordningsnummer has day + 60.
    personnummer: Mapped[str | None] = mapped_column(String(13), index=True)
    samordningsnummer: Mapped[str | None] = mapped_column(String(13), index=True)
    registration_date: Mapped[date | None] = mapped_column(Date)
    personnummer_date: Mapped[date | None] = mapped_column(Date)
    # Temporary protection: the permit and samordningsnummer dates start the year after
    # which registration may be applied for.
    samordningsnummer_date: Mapped[date | None] = mapped_column(Date)
    permit_date: Mapped[date | None] = mapped_column(Date)
    # The same human being's record in the earlier (temporary-protection) case.
    previous_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own protocol

    household: Mapped[Household] = relationship(back_populates="members")

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def __repr__(self) -> str:
        return f"<Person {self.id} {self.full_name}>"
