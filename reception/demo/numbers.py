"""Identity numbers for fictitious people: valid check digits, matching the birth date."""

from __future__ import annotations

from datetime import date

from stdnum import luhn


def identity_number(birth: date, serial: int, coordination: bool = False) -> str:
    day = birth.day + (60 if coordination else 0)
    body = f"{birth:%y%m}{day:02d}{serial:03d}"
    return f"{birth.year // 100}{body[:6]}-{body[6:]}{luhn.calc_check_digit(body)}"
