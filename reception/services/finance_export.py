"""Finance exports: the forecast and the reconciliation as Excel (openpyxl) and CSV bytes.

CSV follows the import's conventions: UTF-8 with a BOM (so Excel opens it as UTF-8),
semicolons, amounts as plain whole kronor. Text that Excel would run as a formula (starting
with = + - @) is prefixed with an apostrophe: reference texts come from imported files.
Excel files hold the amounts as integer numbers with a thousands format and a total row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from reception.engine.reimbursement import PaymentKind
from reception.services.reconciliation import MatchStatus, Reconciliation
from reception.services.reimbursements import MonthTotal

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
_KRONOR = "#,##0"


def kind_label(kind: str) -> str:
    labels = {
        PaymentKind.ESTABLISHMENT: _("Establishment schablon"),
        PaymentKind.INITIAL_COST: _("Initial-cost schablon"),
        PaymentKind.TP_PLACE: _("Temporary protection, per place"),
        PaymentKind.TP_MOVE_IN: _("Temporary protection, move-in"),
        PaymentKind.TP_DAILY: _("Temporary protection, per day"),
    }
    try:
        return labels[PaymentKind(kind)]
    except ValueError:
        return kind


def status_label(status: MatchStatus) -> str:
    return {
        MatchStatus.MATCHED: _("Matched"),
        MatchStatus.PARTLY_PAID: _("Partly paid"),
        MatchStatus.OVERPAID: _("Overpaid"),
        MatchStatus.UNPAID: _("Unpaid"),
        MatchStatus.NOT_DUE: _("Not yet due"),
        MatchStatus.UNEXPECTED: _("Unexpected payment"),
    }[status]


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _safe(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    money: set[int],
    total: Sequence[Any] | None,
) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_safe(v) for v in row])
    if total is not None:
        sheet.append(list(total))
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    for column in money:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column + 1, max_col=column + 1):
            cell.number_format = _KRONOR
    for index, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(name) + 2)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- forecast --------------------------------------------------------------------------------


def _forecast_table(months: Sequence[MonthTotal]) -> tuple[list[str], list[list[Any]], list[Any]]:
    kinds = [k.value for k in PaymentKind]
    header = [_("Month"), *[kind_label(k) for k in kinds], _("Total (kr)")]
    rows = [
        [f"{m.month:%Y-%m}", *[m.by_kind.get(k, 0) for k in kinds], m.amount_sek] for m in months
    ]
    total = [
        _("Total"),
        *[sum((m.by_kind.get(k, 0) for m in months), 0) for k in kinds],
        sum((m.amount_sek for m in months), 0),
    ]
    return header, rows, total


def forecast_csv(months: Sequence[MonthTotal]) -> bytes:
    header, rows, total = _forecast_table(months)
    return _csv(header, [*rows, total])


def forecast_xlsx(year: int, months: Sequence[MonthTotal]) -> bytes:
    header, rows, total = _forecast_table(months)
    money = set(range(1, len(header)))
    return _xlsx(_("Forecast %(year)d", year=year), header, rows, money, total)


def forecast_filename(year: int, extension: str) -> str:
    return f"schablon-prognos-{year}.{extension}"


# --- reconciliation --------------------------------------------------------------------------


def _reconciliation_table(
    result: Reconciliation,
) -> tuple[list[str], list[list[Any]], list[Any]]:
    header = [
        _("Month"),
        _("Case reference"),
        _("Person"),
        _("Identity as paid"),
        _("Type"),
        _("Expected (kr)"),
        _("Received (kr)"),
        _("Difference (kr)"),
        _("Status"),
    ]
    rows = [
        [
            f"{r.month:%Y-%m}",
            r.household_reference,
            r.person_name,
            r.identity,
            kind_label(r.kind),
            r.expected_sek,
            r.received_sek,
            r.difference_sek,
            status_label(r.status),
        ]
        for r in result.rows
    ]
    total = [
        _("Total"),
        None,
        None,
        None,
        None,
        result.expected_sek,
        result.received_sek,
        result.difference_sek,
        None,
    ]
    return header, rows, total


def reconciliation_csv(result: Reconciliation) -> bytes:
    header, rows, total = _reconciliation_table(result)
    return _csv(header, [*rows, total])


def reconciliation_xlsx(result: Reconciliation) -> bytes:
    header, rows, total = _reconciliation_table(result)
    return _xlsx(_("Reconciliation %(year)d", year=result.year), header, rows, {5, 6, 7}, total)


def reconciliation_filename(year: int, extension: str, today: date) -> str:
    return f"schablon-avstamning-{year}-per-{today:%Y-%m-%d}.{extension}"
