"""Statutory date arithmetic: the month rule, Swedish working days and rolling.

Lag (1930:173) om beräkning av lagstadgad tid: a period of N months ends on the day
with the same number in the target month, or on that month's last day where it has
no such day. Working days are Monday–Friday except public holidays and the de facto
holidays midsommarafton, julafton and nyårsafton.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

import holidays


class Unit(StrEnum):
    DAYS = "days"
    BUSINESS_DAYS = "business_days"
    WEEKS = "weeks"
    MONTHS = "months"


class Roll(StrEnum):
    KEEP = "keep"
    NEXT = "next"
    PREVIOUS = "previous"


def add_months(start: date, months: int) -> date:
    """Add (or subtract) whole months by the statutory month rule."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last_day = _stdlib_calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))


@lru_cache(maxsize=64)
def _holidays_for(year: int) -> frozenset[date]:
    return frozenset(holidays.Sweden(categories=("public", "de_facto"), years=year).keys())


def holiday_name(day: date) -> str | None:
    """The holiday's name in Swedish, or None for an ordinary day."""
    if day not in _holidays_for(day.year):
        return None
    names = holidays.Sweden(categories=("public", "de_facto"), years=day.year, language="sv")
    return names.get(day)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays_for(day.year)


def next_working_day(day: date) -> date:
    """The day itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def previous_working_day(day: date) -> date:
    """The day itself when it is a working day, else the last working day before it."""
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def add_business_days(start: date, count: int) -> date:
    """Move `count` working days from `start` (negative moves back); 0 returns `start`."""
    step = 1 if count >= 0 else -1
    day = start
    remaining = abs(count)
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def business_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def shift(anchor: date, offset: int, unit: Unit | str) -> date:
    unit = Unit(unit)
    if unit is Unit.DAYS:
        return anchor + timedelta(days=offset)
    if unit is Unit.WEEKS:
        return anchor + timedelta(weeks=offset)
    if unit is Unit.MONTHS:
        return add_months(anchor, offset)
    return add_business_days(anchor, offset)


def roll(day: date, rule: Roll | str) -> date:
    rule = Roll(rule)
    if rule is Roll.NEXT:
        return next_working_day(day)
    if rule is Roll.PREVIOUS:
        return previous_working_day(day)
    return day


def age_on(birth_date: date, on: date) -> int:
    """Whole years of age on a date (a 29 February birthday counts from 1 March)."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years
