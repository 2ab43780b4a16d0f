"""Reading a payment specification (utbetalningsspecifikation) as CSV, without the database.

Format (docs/reimbursements.md, "Payment specification CSV"): UTF-8 (a BOM is fine) or
Windows-1252 as Excel saves it, semicolon-separated, a header row naming the columns,
one payment per row. Every cell is checked and every problem is reported with its line and
column; the caller stores nothing unless the whole file is clean.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from reception.engine.reimbursement import PaymentKind
from reception.services.errors import FieldError
from reception.services.validation import EARLIEST_DATE, LATEST_DATE, parse_identity_number

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
MAX_ERRORS = 200
# Far above any state payment, far below the 64-bit column: a typo, not an amount.
MAX_AMOUNT_SEK = 10**12

# Column -> accepted header names (compared case-insensitively, surrounding spaces ignored).
COLUMNS: dict[str, tuple[str, ...]] = {
    "paid_on": ("utbetalningsdatum", "datum", "paid_on"),
    "amount": ("belopp", "amount", "amount_sek"),
    "kind": ("ersättningstyp", "ersattningstyp", "kind"),
    "identity": ("personnummer", "samordningsnummer", "identity"),
    "case_reference": ("ärende", "arende", "ärendenummer", "case_reference"),
    "period": ("period", "month"),
    "reference": ("referens", "text", "reference"),
}
REQUIRED = ("paid_on", "amount", "kind")

# Names finance sees on Migrationsverket's specifications, and the internal codes.
KIND_NAMES: dict[str, PaymentKind] = {
    "etableringsschablon": PaymentKind.ESTABLISHMENT,
    "schablonersättning etablering": PaymentKind.ESTABLISHMENT,
    "establishment": PaymentKind.ESTABLISHMENT,
    "initiala kostnader": PaymentKind.INITIAL_COST,
    "schablon för initiala kostnader": PaymentKind.INITIAL_COST,
    "initial_cost": PaymentKind.INITIAL_COST,
    "fördelningstal": PaymentKind.TP_PLACE,
    "ersättning per plats": PaymentKind.TP_PLACE,
    "tp_place": PaymentKind.TP_PLACE,
    "inflyttning": PaymentKind.TP_MOVE_IN,
    "engångsersättning inflyttning": PaymentKind.TP_MOVE_IN,
    "tp_move_in": PaymentKind.TP_MOVE_IN,
    "dygnsschablon": PaymentKind.TP_DAILY,
    "dygnsersättning": PaymentKind.TP_DAILY,
    "tp_daily": PaymentKind.TP_DAILY,
}

# 165000 | 165 000 | 165000,00 | -5 000,00 | 165.000,00 is refused (ambiguous dot).
_AMOUNT = re.compile(r"^([+-]?)(\d{1,3}(?: \d{3})+|\d+)(?:,(\d{1,2})|\.(\d{1,2}))?$")
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2212": "-", "\t": " "})


class CellError(ValueError):
    """One cell that cannot be read; the message says why, in the user's language."""


def parse_amount(text: str) -> int:
    """Whole kronor from a Swedish-written amount. Öre other than ,00 are refused.

    Parsed as Decimal: "41 250,00" is 41250 exactly; "41 250,50" is an error because
    Mottagning keeps whole kronor (the schablons are whole kronor).
    """
    cleaned = " ".join(text.translate(_SPACES).split())
    match = _AMOUNT.match(cleaned)
    if match is None:
        raise CellError(_("Not an amount in kronor: %(value)s", value=text[:30]))
    sign, whole, comma_part, dot_part = match.groups()
    fraction = comma_part or dot_part or "0"
    try:
        value = Decimal(f"{sign}{whole.replace(' ', '')}.{fraction}")
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only digits
        raise CellError(_("Not an amount in kronor: %(value)s", value=text[:30])) from exc
    if value != value.to_integral_value():
        raise CellError(_("Amounts are whole kronor; öre are not accepted: %(value)s", value=text))
    if value == 0:
        raise CellError(_("The amount is zero."))
    if abs(value) > MAX_AMOUNT_SEK:
        raise CellError(_("The amount is too large: %(value)s", value=text[:30]))
    return int(value)


def parse_kind(text: str) -> PaymentKind:
    kind = KIND_NAMES.get(" ".join(text.lower().split()))
    if kind is None:
        raise CellError(_("Unknown type of reimbursement: %(value)s", value=text[:40]))
    return kind


def parse_day(text: str) -> date:
    value = text.strip()
    try:
        if re.fullmatch(r"\d{8}", value):
            day = date(int(value[:4]), int(value[4:6]), int(value[6:]))
        else:
            day = date.fromisoformat(value)
    except ValueError as exc:
        raise CellError(_("Not a valid date (YYYY-MM-DD): %(value)s", value=value[:20])) from exc
    return _in_range(day, value)


def parse_month(text: str) -> date:
    """A period written YYYY-MM or YYYYMM, as the first day of that month."""
    value = text.strip()
    match = re.fullmatch(r"(\d{4})-?(\d{2})", value)
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise CellError(_("Not a month (YYYY-MM): %(value)s", value=value[:20]))
    return _in_range(date(int(match.group(1)), int(match.group(2)), 1), value)


def _in_range(day: date, value: str) -> date:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise CellError(
            _(
                "The date must lie between %(first)s and %(last)s.",
                first=EARLIEST_DATE.isoformat(),
                last=LATEST_DATE.isoformat(),
            )
        )
    return day


def parse_identity(text: str) -> str:
    parsed = parse_identity_number(text.strip())
    if parsed is None:
        raise CellError(_("Not a valid personnummer or samordningsnummer: %(value)s", value=text))
    return parsed[0]


@dataclass(frozen=True)
class PaymentRow:
    line: int
    paid_on: date
    amount_sek: int
    kind: PaymentKind
    month: date
    identity: str | None  # normalised YYYYMMDD-NNNN
    case_reference: str | None
    reference: str | None


def row_error(line: int, column: str, message: str) -> FieldError:
    return FieldError(
        f"rows[{line}].{column}",
        _("Row %(row)d, column %(column)s: %(message)s", row=line, column=column, message=message),
    )


def decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Swedish Windows saves "CSV (semikolonavgränsad)" as Windows-1252.
        return content.decode("cp1252", errors="strict")


def read(content: bytes) -> tuple[list[PaymentRow], list[FieldError]]:
    """Every row of the file, or the errors of every bad cell (never both)."""
    if len(content) > MAX_BYTES:
        return [], [FieldError("file", _("The file is larger than 5 MB."))]
    try:
        text = decode(content)
    except UnicodeDecodeError:
        return [], [FieldError("file", _("The file is neither UTF-8 nor Windows-1252 text."))]
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return [], [
            FieldError("file", _("The file is empty; the first row must name the columns."))
        ]
    if ";" not in lines[0]:
        return [], [FieldError("file", _("The columns must be separated by semicolons (;)."))]
    reader = csv.reader(io.StringIO(text), delimiter=";")
    header = next(reader)
    positions, header_errors = _columns(header)
    if header_errors:
        return [], header_errors
    rows: list[PaymentRow] = []
    errors: list[FieldError] = []
    # The same personnummer, date and period recur on many rows: each distinct cell is read
    # once per file (a cell that fails is not cached and fails again, with its message).
    parsers: Parsers = (
        ("paid_on", functools.lru_cache(maxsize=None)(parse_day)),
        ("amount", parse_amount),
        ("kind", parse_kind),
        ("period", functools.lru_cache(maxsize=None)(parse_month)),
        ("identity", functools.lru_cache(maxsize=None)(parse_identity)),
    )
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, e.g. at the end
        if len(rows) >= MAX_ROWS:
            errors.append(FieldError("file", _("At most %(n)d rows.", n=MAX_ROWS)))
            break
        row, row_errors = _row(line, cells, positions, len(header), parsers)
        errors += row_errors
        if row is not None:
            rows.append(row)
        if len(errors) >= MAX_ERRORS:
            break
    if not rows and not errors:
        errors.append(FieldError("file", _("The file has no payment rows.")))
    return ([], errors) if errors else (rows, [])


def _columns(header: list[str]) -> tuple[dict[str, tuple[int, str]], list[FieldError]]:
    positions: dict[str, tuple[int, str]] = {}
    errors: list[FieldError] = []
    for index, name in enumerate(header):
        label = name.strip().lower()
        for column, names in COLUMNS.items():
            if label in names:
                if column in positions:
                    errors.append(
                        row_error(1, name.strip(), _("The column is given more than once."))
                    )
                positions[column] = (index, name.strip())
    for column in REQUIRED:
        if column not in positions:
            errors.append(
                FieldError(
                    f"rows[1].{COLUMNS[column][0]}",
                    _(
                        "The column %(column)s is missing from the first row.",
                        column=COLUMNS[column][0],
                    ),
                )
            )
    return positions, errors


Parsers = tuple[tuple[str, Callable[[str], object]], ...]


def _row(
    line: int,
    cells: list[str],
    positions: dict[str, tuple[int, str]],
    width: int,
    parsers: Parsers,
) -> tuple[PaymentRow | None, list[FieldError]]:
    errors: list[FieldError] = []
    if len(cells) != width:
        message = _("Expected %(n)d columns, found %(found)d.", n=width, found=len(cells))
        return None, [
            FieldError(f"rows[{line}]", _("Row %(row)d: %(message)s", row=line, message=message))
        ]

    def cell(column: str) -> tuple[str, str]:
        if column not in positions:
            return "", COLUMNS[column][0]
        index, name = positions[column]
        return cells[index].strip(), name

    values: dict[str, object] = {}
    for column, parse in parsers:
        raw, name = cell(column)
        if not raw:
            if column in REQUIRED:
                errors.append(row_error(line, name, _("This field is required.")))
            continue
        try:
            values[column] = parse(raw)
        except CellError as exc:
            errors.append(row_error(line, name, str(exc)))
    case_reference, case_name = cell("case_reference")
    reference, reference_name = cell("reference")
    if len(case_reference) > 50:
        errors.append(row_error(line, case_name, _("At most %(n)d characters.", n=50)))
    if len(reference) > 200:
        errors.append(row_error(line, reference_name, _("At most %(n)d characters.", n=200)))
    kind = values.get("kind")
    has_owner = "identity" in values or bool(case_reference)
    if kind == PaymentKind.TP_PLACE and has_owner:
        errors.append(
            row_error(
                line,
                cell("identity")[1],
                _(
                    "The per-place payment belongs to the municipality: leave "
                    "personnummer and case reference empty."
                ),
            )
        )
    elif kind is not None and kind != PaymentKind.TP_PLACE and not has_owner:
        errors.append(
            row_error(line, cell("identity")[1], _("Give a personnummer or a case reference."))
        )
    if errors:
        return None, errors
    paid_on = values["paid_on"]
    assert isinstance(paid_on, date)
    month = values.get("period") or paid_on.replace(day=1)
    return (
        PaymentRow(
            line=line,
            paid_on=paid_on,
            amount_sek=values["amount"],  # type: ignore[arg-type]
            kind=values["kind"],  # type: ignore[arg-type]
            month=month,  # type: ignore[arg-type]
            identity=values.get("identity"),  # type: ignore[arg-type]
            case_reference=case_reference or None,
            reference=reference or None,
        ),
        [],
    )
