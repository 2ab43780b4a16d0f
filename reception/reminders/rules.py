"""When each kind of notification falls due, as plain date arithmetic (no Flask, no SQL).

Every rule is written as "which deadlines are due for a notification on day D", so a
sweep for D catches up on every day missed before it. The sweep turns these thresholds
into SQL comparisons on indexed date columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from reception.engine.calendar import add_business_days, add_months

DIGEST_HORIZON_DAYS = 3
RECEPTION_ALERT_DAYS = (14, 7)
PROTECTION_ALERT_MONTHS = (3, 1)
CIVIC_DUTY_ALERT_MONTHS = (6, 1)


def escalation_due_through(day: date, business_days: int) -> date:
    """The latest due date that is `business_days` working days overdue on `day`.

    A task due on date d is overdue from d + 1; it is escalated on the working day
    add_business_days(d, M), when it has been overdue for M working days. That day is
    non-decreasing in d, so "escalated by `day`" is the comparison due_date <= result.
    """
    candidate = day - timedelta(days=1)
    while add_business_days(candidate, business_days) > day:
        candidate -= timedelta(days=1)
    return candidate


@dataclass(frozen=True)
class Window:
    """Deadlines d with first <= d <= last get the alert on the day swept."""

    first: date
    last: date

    def __bool__(self) -> bool:
        return self.first <= self.last


def day_windows(day: date, days_before: tuple[int, ...]) -> list[tuple[int, Window]]:
    """For alerts N days before a deadline (largest N first): which deadlines get which alert.

    The alert for the smallest N still ahead wins, so after a gap only the nearest alert is
    sent: a deadline 5 days ahead gets the 7-day alert, not also the 14-day one.
    """
    ordered = sorted(days_before)
    windows: list[tuple[int, Window]] = []
    first = day
    for n in ordered:
        last = day + timedelta(days=n)
        windows.append((n, Window(first, last)))
        first = last + timedelta(days=1)
    return sorted(windows, reverse=True)


def month_windows(day: date, months_before: tuple[int, ...]) -> list[tuple[int, Window]]:
    """As day_windows, counting calendar months by the statutory month rule."""
    ordered = sorted(months_before)
    windows: list[tuple[int, Window]] = []
    first = day
    for n in ordered:
        last = add_months(day, n)
        windows.append((n, Window(first, last)))
        first = last + timedelta(days=1)
    return sorted(windows, reverse=True)
