"""Reminder operations for the app, CLI and scheduler: sweeping, settings, the waiting list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select

from reception.engine.protection import last_protected_day
from reception.engine.status import TaskStatus
from reception.extensions import db
from reception.models import Household, HouseholdStatus, Municipality, Task
from reception.models.tenancy import system, tenant
from reception.reminders.sweep import SweepResult, SweepSettings, last_swept_day, sweep
from reception.services import protection_rules
from reception.services.workflows import registry

PROTECTED_VARIANT_PREFIX = "temporary_protection"
DEFAULT_REMINDER_DAYS = 3


def protection_end(municipality_id: int) -> date:
    """Last day of temporary protection in this municipality.

    The municipality's end-of-protection scenario when a manager has set one, else the
    permits' last day in the newest temporary-protection rate file.
    """
    with tenant(db.session, municipality_id):
        return last_protected_day(protection_rules.protection_end())


def sweep_settings() -> SweepSettings:
    protected = frozenset(
        d.key for d in registry().all() if d.variant.startswith(PROTECTED_VARIANT_PREFIX)
    )
    ends: dict[int, date] = {}
    if protected:
        with system(db.session):
            ids = db.session.scalars(select(Municipality.id)).all()
        ends = {municipality_id: protection_end(municipality_id) for municipality_id in ids}
    longest = max(
        (t.reminder_days for d in registry().all() for t in d.tasks), default=DEFAULT_REMINDER_DAYS
    )
    return SweepSettings(
        max_reminder_days=max(longest, DEFAULT_REMINDER_DAYS),
        escalation_business_days=int(current_app.config["ESCALATION_BUSINESS_DAYS"]),
        protection_end=ends,
        protected_workflows=protected,
    )


def run_sweep(day: date) -> SweepResult:
    """Create every notification due up to and including `day` (one transaction)."""
    return sweep(db.session, day, sweep_settings())


def last_sweep() -> date | None:
    return last_swept_day(db.session)


@dataclass(frozen=True)
class WaitingTask:
    task: Task
    days_waited: int


def waiting_tasks(today: date) -> list[WaitingTask]:
    """Tasks of open households waiting on an authority, longest wait first (bound tenant)."""
    rows = db.session.scalars(
        select(Task)
        .join(Household, Household.id == Task.household_id)
        .where(
            Task.status == TaskStatus.WAITING.value,
            Household.status == HouseholdStatus.OPEN.value,
        )
        .order_by(Task.waiting_since.is_(None), Task.waiting_since, Task.id)
    ).all()
    return [WaitingTask(t, (today - t.waiting_since).days if t.waiting_since else 0) for t in rows]
