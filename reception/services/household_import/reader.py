"""Reading a household import file (CSV or Excel .xlsx) into rows of named cells.

No database: the header is matched to the documented columns (docs/import.md, English or
Swedish names), every row keeps the number the user sees in the spreadsheet, and every
problem of the file's shape is reported at once. The cells are checked by the service.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from reception.services.errors import FieldError
from reception.services.payment_file import decode

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000  # member rows; the households are limited by the service

# Column -> accepted header names (case-insensitive, surrounding spaces ignored); the first
# English and the first Swedish name are the documented ones.
COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": ("reference", "referens", "ärende", "diarienummer"),
    "workflow": ("workflow", "arbetsflöde"),
    "assignment_date": ("assignment_date", "anvisningsdatum"),
    "latest_reception_date": ("latest_reception_date", "senaste_mottagningsdatum"),
    "reception_date": ("reception_date", "mottagningsdatum"),
    "move_in_date": ("move_in_date", "inflyttningsdatum"),
    "move_out_date": ("move_out_date", "utflyttningsdatum"),
    "coordinator": ("coordinator", "coordinator_email", "samordnare"),
    "given_name": ("given_name", "förnamn"),
    "family_name": ("family_name", "efternamn"),
    "birth_date": ("birth_date", "födelsedatum"),
    "personnummer": ("personnummer", "samordningsnummer", "identity_number"),
    "permit_date": ("permit_date", "tillståndsdatum"),
    "samordningsnummer_date": ("samordningsnummer_date", "samordningsnummerdatum"),
}
REQUIRED = ("reference", "workflow", "assignment_date", "given_name", "family_name", "birth_date")
HEADER_NAMES = {name: column for column, names in COLUMNS.items() for name in names}

Cell = str | date


@dataclass(frozen=True)
class Row:
    line: int  # the row number shown by the spreadsheet program (the header is row 1)
    cells: dict[str, Cell]  # column -> value ("" when empty)


@dataclass(frozen=True)
class Table:
    headers: dict[str, str]  # column -> the header as written in the file
    rows: list[Row]

    def header(self, column: str) -> str:
        return self.headers.get(column, COLUMNS[column][0])


def cell_error(line: int, column: str, message: str) -> FieldError:
    """An error located at a cell: `rows[<line>].<header as written>`."""
    return FieldError(f"rows[{line}].{column}", message)


def read(filename: str, content: bytes) -> tuple[Table | None, list[FieldError]]:
    """The file's rows, or every problem of its shape (never both)."""
    if len(content) > MAX_BYTES:
        limit = MAX_BYTES // 2**20
        return None, [FieldError("file", _("The file is larger than %(n)d MB.", n=limit))]
    name = (filename or "").lower()
    if content.startswith(b"PK\x03\x04"):
        rows = _xlsx_rows(content)
    elif name.endswith((".xlsx", ".xls", ".xlsm", ".ods")):
        return None, [
            FieldError("file", _("Save the file as an Excel workbook (.xlsx) or as CSV."))
        ]
    else:
        rows = _csv_rows(content)
    if isinstance(rows, FieldError):
        return None, [rows]
    return _table(rows)


def _csv_rows(content: bytes) -> list[list[Cell]] | FieldError:
    try:
        text = decode(content)
    except UnicodeDecodeError:
        return FieldError("file", _("The file is neither UTF-8 nor Windows-1252 text."))
    first = text.split("\n", 1)[0]
    # Excel in Swedish writes semicolons (the comma is the decimal sign); others commas.
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    try:
        return [list(cells) for cells in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as exc:
        return FieldError("file", _("The file is not valid CSV: %(error)s", error=str(exc)))


def _xlsx_rows(content: bytes) -> list[list[Cell]] | FieldError:
    unreadable = FieldError("file", _("The file cannot be read as an Excel workbook (.xlsx)."))
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        return unreadable
    rows: list[list[Cell]] = []
    try:
        # Read-only mode streams the sheet; stop one row past the limit (_table reports it).
        for values in workbook.worksheets[0].iter_rows(min_row=1, values_only=True):
            rows.append([_excel_value(v) for v in values])
            if len(rows) > MAX_ROWS + 1:
                break
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError):
        return unreadable
    finally:
        workbook.close()
    return rows


def _excel_value(value: Any) -> Cell:
    """A cell as the text it shows, or a date for Excel's date cells."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table(rows: list[list[Cell]]) -> tuple[Table | None, list[FieldError]]:
    if not rows or not any(_text(c) for c in rows[0]):
        return None, [
            FieldError("file", _("The file is empty; the first row must name the columns."))
        ]
    header = [_text(c).strip() for c in rows[0]]
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    errors: list[FieldError] = []
    for index, written in enumerate(header):
        if not written:
            continue
        column = HEADER_NAMES.get(written.lower())
        if column is None:
            errors.append(cell_error(1, written, _("Unknown column (see the documented columns).")))
        elif column in positions:
            errors.append(cell_error(1, written, _("The column is given more than once.")))
        else:
            positions[column] = index
            headers[column] = written
    for column in REQUIRED:
        if column not in positions:
            errors.append(
                cell_error(
                    1,
                    COLUMNS[column][0],
                    _("The column %(column)s is missing from the first row.", column=column),
                )
            )
    if errors:
        return None, errors
    table_rows: list[Row] = []
    for line, cells in enumerate(rows[1:], start=2):
        if not any(_text(c).strip() for c in cells):
            continue  # blank rows, e.g. at the end
        if len(table_rows) >= MAX_ROWS:
            return None, [FieldError("file", _("At most %(n)d rows.", n=MAX_ROWS))]
        extra = [c for i, c in enumerate(cells) if i >= len(header) or not header[i]]
        if any(_text(c).strip() for c in extra):
            errors.append(
                FieldError(f"rows[{line}]", _("The row has values outside the named columns."))
            )
            continue
        table_rows.append(
            Row(
                line,
                {
                    column: _clean(cells[index]) if index < len(cells) else ""
                    for column, index in positions.items()
                },
            )
        )
    if errors:
        return None, errors
    if not table_rows:
        return None, [FieldError("file", _("The file has no rows below the column names."))]
    return Table(headers, table_rows), []


def _text(cell: Cell) -> str:
    return cell.isoformat() if isinstance(cell, date) else cell


def _clean(cell: Cell) -> Cell:
    return cell.strip() if isinstance(cell, str) else cell
