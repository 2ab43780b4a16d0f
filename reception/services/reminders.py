"""Reminder operations for the app, CLI and scheduler: sweeping, settings, the waiting list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from reception.config import PROJECT_ROOT
from reception.engine.rates import load_rates
from reception.engine.status import TaskStatus
from reception.extensions import db
from reception.models import Household, HouseholdStatus, Municipality, Task
from reception.models.tenancy import system
from reception.reminders.sweep import SweepResult, SweepSettings, last_swept_day, sweep
from reception.services.workflows import registry

PROTECTED_VARIANT_PREFIX = "temporary_protection"
DEFAULT_REMINDER_DAYS = 3


@cache
def _protection_end_from_rates(directory: str) -> date:
    return load_rates(Path(directory)).protection_valid_through


def protection_end(municipality_id: int) -> date:
    """Last day of temporary protection for households in this municipality.

    The PROTECTION_END setting if given, else the newest temporary-protection rate file.
    One function so that a per-municipality scenario (an earlier revocation or an
    extension) can be plugged in here without touching the sweep.
    """
    configured = current_app.config.get("PROTECTION_END")
    if configured:
        return configured if isinstance(configured, date) else date.fromisoformat(configured)
    rates_dir = current_app.config.get("RATES_DIR") or str(PROJECT_ROOT / "rates")
    return _protection_end_from_rates(str(rates_dir))


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
