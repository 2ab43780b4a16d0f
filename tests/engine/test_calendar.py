"""Statutory date arithmetic, with dates checked by hand against a 2026 calendar."""

from datetime import date

import pytest

from reception.engine.calendar import (
    Roll,
    Unit,
    add_business_days,
    add_months,
    age_on,
    business_days_between,
    holiday_name,
    is_working_day,
    roll,
    shift,
)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 3, 10), 2, date(2026, 5, 10)),
        (date(2025, 12, 31), 2, date(2026, 2, 28)),  # the law's own example
        (date(2023, 12, 31), 2, date(2024, 2, 29)),  # leap year
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
        (date(2026, 7, 1), 36, date(2029, 7, 1)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 15), -2, date(2025, 11, 15)),
    ],
)
def test_month_rule(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 6, 19), False),  # midsommarafton (de facto holiday)
        (date(2026, 12, 24), False),  # julafton
        (date(2026, 12, 31), False),  # nyårsafton
        (date(2026, 1, 6), False),  # trettondedag jul
        (date(2026, 4, 3), False),  # långfredagen
        (date(2026, 4, 6), False),  # annandag påsk
        (date(2026, 5, 14), False),  # Kristi himmelsfärd
        (date(2026, 6, 8), True),  # an ordinary Monday
        (date(2026, 6, 6), False),  # nationaldagen, a Saturday anyway
        (date(2026, 5, 2), False),  # Saturday
        (date(2026, 5, 4), True),
    ],
)
def test_working_days(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_holiday_names_are_swedish() -> None:
    assert holiday_name(date(2026, 6, 19)) == "Midsommarafton"
    assert holiday_name(date(2026, 6, 8)) is None


def test_business_days_skip_weekends_and_holidays() -> None:
    # Thu 2026-04-02 + 1 working day: Good Friday, Easter weekend and Monday are off.
    assert add_business_days(date(2026, 4, 2), 1) == date(2026, 4, 7)
    # Mon 2026-12-21 + 3: 22, 23, then 24-27 off (julafton, juldagen, annandag, Sunday) -> 28.
    assert add_business_days(date(2026, 12, 21), 3) == date(2026, 12, 28)
    assert add_business_days(date(2026, 4, 7), -1) == date(2026, 4, 2)
    assert add_business_days(date(2026, 5, 4), 0) == date(2026, 5, 4)
    assert business_days_between(date(2026, 4, 2), date(2026, 4, 7)) == 1
    assert business_days_between(date(2026, 5, 4), date(2026, 5, 4)) == 0


def test_roll_to_a_working_day() -> None:
    sunday = date(2026, 5, 10)
    assert roll(sunday, Roll.KEEP) == sunday
    assert roll(sunday, Roll.NEXT) == date(2026, 5, 11)
    assert roll(sunday, Roll.PREVIOUS) == date(2026, 5, 8)
    # Midsommarafton Friday -> Monday after; back to Thursday.
    assert roll(date(2026, 6, 19), Roll.NEXT) == date(2026, 6, 22)
    assert roll(date(2026, 6, 19), Roll.PREVIOUS) == date(2026, 6, 18)


def test_shift_units() -> None:
    start = date(2026, 4, 20)
    assert shift(start, 14, Unit.DAYS) == date(2026, 5, 4)
    assert shift(start, 2, Unit.WEEKS) == date(2026, 5, 4)
    assert shift(start, 3, Unit.MONTHS) == date(2026, 7, 20)
    assert shift(start, 10, Unit.BUSINESS_DAYS) == date(2026, 5, 5)  # May Day skipped
    assert shift(start, -3, "days") == date(2026, 4, 17)


def test_age_on() -> None:
    assert age_on(date(1991, 4, 20), date(2026, 4, 20)) == 35
    assert age_on(date(1991, 4, 21), date(2026, 4, 20)) == 34
    # Born on 29 February: a year older from 1 March in common years.
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18
