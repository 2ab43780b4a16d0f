"""Reading untrusted input field by field, collecting every error with its field name."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import gettext as _
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.se import personnummer as pnr

from reception.services.errors import FieldError, ValidationError

# Every date Mottagning handles (births, decisions, deadlines, payment months) lies in this
# range; far-off dates would only overflow the date arithmetic of the engine into a 500.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)
# The largest value of an INTEGER column (ids, counts) on PostgreSQL; SQLite's is larger.
MAX_INTEGER = 2**31 - 1


class Input:
    """Wraps a mapping of raw values; each read records an error instead of raising."""

    def __init__(self, data: Mapping[str, Any] | None, prefix: str = "") -> None:
        self.data: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
        self.prefix = prefix
        self.errors: list[FieldError] = []

    def name(self, field: str) -> str:
        return f"{self.prefix}{field}"

    def error(self, field: str, message: str) -> None:
        self.errors.append(FieldError(self.name(field), message))

    def has(self, field: str) -> bool:
        return field in self.data

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)

    def text(self, field: str, *, required: bool = False, max_length: int = 200) -> str | None:
        value = self.data.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(field, _("This field is required."))
            return None
        if not isinstance(value, str):
            self.error(field, _("Must be text."))
            return None
        value = value.strip()
        if len(value) > max_length:
            self.error(field, _("At most %(n)d characters.", n=max_length))
            return None
        return value

    def date(self, field: str, *, required: bool = False) -> date | None:
        value = self.data.get(field)
        if value is None or value == "":
            if required:
                self.error(field, _("This field is required."))
            return None
        if isinstance(value, date):
            parsed = value
        elif not isinstance(value, str):
            self.error(field, _("Must be a date written YYYY-MM-DD."))
            return None
        else:
            try:
                parsed = date.fromisoformat(value.strip())
            except ValueError:
                self.error(field, _("Not a valid date (YYYY-MM-DD): %(value)s", value=value[:20]))
                return None
        if not EARLIEST_DATE <= parsed <= LATEST_DATE:
            self.error(
                field,
                _(
                    "The date must lie between %(first)s and %(last)s.",
                    first=EARLIEST_DATE.isoformat(),
                    last=LATEST_DATE.isoformat(),
                ),
            )
            return None
        return parsed

    def integer(
        self,
        field: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int = MAX_INTEGER,
    ) -> int | None:
        value = self.data.get(field)
        if value is None or value == "":
            if required:
                self.error(field, _("This field is required."))
            return None
        if isinstance(value, bool):
            self.error(field, _("Must be a whole number."))
            return None
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: JSON's 1e999
            self.error(field, _("Must be a whole number."))
            return None
        if isinstance(value, float) and value != number:
            self.error(field, _("Must be a whole number."))
            return None
        if minimum is not None and number < minimum:
            self.error(field, _("Must be at least %(n)d.", n=minimum))
            return None
        if number > maximum:
            self.error(field, _("Must be at most %(n)d.", n=maximum))
            return None
        return number

    def identity_number(self, field: str, birth_date: date | None) -> tuple[str | None, bool]:
        """A personnummer or samordningsnummer as YYYYMMDD-NNNN, and whether it is the latter.

        The check digit is verified and the date part must match the birth date
        (a samordningsnummer carries the birth day plus 60).
        """
        raw = self.text(field, max_length=20)
        if raw is None:
            return None, False
        parsed = parse_identity_number(raw)
        if parsed is None:
            self.error(field, _("Not a valid personnummer or samordningsnummer."))
            return None, False
        number, born, coordination = parsed
        if birth_date is not None and born != birth_date:
            self.error(field, _("Does not match the birth date."))
            return None, False
        return number, coordination


def parse_identity_number(raw: str) -> tuple[str, date, bool] | None:
    """(YYYYMMDD-NNNN, birth date, is samordningsnummer), or None when invalid.

    python-stdnum checks personnummer; a samordningsnummer is the same number with
    60 added to the day, which stdnum rejects, so it is checked with the day restored
    and the Luhn digit over the number as written.
    """
    try:
        compact = pnr.compact(raw)
    except StdnumError:
        return None
    if len(compact) not in (11, 13) or compact[-5] not in "-+":
        return None
    day_at = len(compact) - 7
    digits = compact[:-5] + compact[-4:]
    if not digits.isdigit():
        return None
    day = int(compact[day_at : day_at + 2])
    coordination = day > 60
    as_personnummer = compact
    if coordination:
        as_personnummer = f"{compact[:day_at]}{day - 60:02d}{compact[day_at + 2 :]}"
    try:
        luhn.validate(digits[-10:])
        born = pnr.get_birth_date(as_personnummer)
    except StdnumError:
        return None
    century = f"{born.year:04d}"[:2] if len(compact) == 11 else ""
    full = century + compact
    return f"{full[:8]}-{full[-4:]}", born, coordination
