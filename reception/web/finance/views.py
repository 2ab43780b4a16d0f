"""/finance: the forecast, a household's schedule, the reconciliation, fördelningstal."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from reception.extensions import db
from reception.models import ExpectedPayment, Person
from reception.services import finance_export, households, payments, reimbursements
from reception.services.errors import ValidationError
from reception.services.reconciliation import MatchStatus, ReconciliationRow, reconcile
from reception.services.validation import Input
from reception.timeutil import today
from reception.web.access import roles_required
from reception.web.finance import bp
from reception.web.finance.money import (
    KIND_SHORT,
    PROTECTION_KINDS,
    READERS,
    SCHABLON_KINDS,
    STATUS_BADGE,
    STATUS_ORDER,
    WRITERS,
    difference_note,
    kronor,
    month_label,
    number,
    share,
    short_month,
    signed,
    status_text,
)

PER_PAGE = 100


def _helpers() -> dict[str, Any]:
    return {
        "kronor": kronor,
        "number": number,
        "signed": signed,
        "month_label": month_label,
        "short_month": short_month,
        "kind_label": finance_export.kind_label,
        "kind_short": lambda kind: str(KIND_SHORT.get(kind, kind)),
        "status_text": status_text,
        "status_badge": lambda status: STATUS_BADGE[MatchStatus(status)],
    }


def _year_or_redirect(endpoint: str) -> int | Response:
    """The ?year= of the request (default: this year), or a redirect that says what was wrong."""
    if not request.args.get("year"):
        return today().year
    try:
        return reimbursements.read_year(request.args)
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.errors[0].message if exc.errors else exc.message, "error")
        return redirect(url_for(endpoint), 303)


def _download(content: bytes, content_type: str, filename: str) -> Response:
    response = Response(content, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- forecast -----------------------------------------------------------------------------------


@bp.get("/", endpoint="forecast")
@roles_required(*READERS)
def forecast_page() -> Any:
    year = _year_or_redirect("finance.forecast")
    if not isinstance(year, int):
        return year
    months = reimbursements.forecast(year)
    total = sum((m.amount_sek for m in months), 0)
    largest = max((m.amount_sek for m in months), default=0)
    kind_totals = {
        kind: sum((m.by_kind.get(kind, 0) for m in months), 0)
        for kind in (*SCHABLON_KINDS, *PROTECTION_KINDS)
    }
    day = today()
    this_month = day.replace(day=1)
    remaining = sum((m.amount_sek for m in months if m.month >= this_month), 0)
    allocation = reimbursements.get_allocation(year)
    return render_template(
        "finance/forecast.html",
        year=year,
        months=months,
        total=total,
        kind_totals=kind_totals,
        schablon_kinds=SCHABLON_KINDS,
        protection_kinds=PROTECTION_KINDS,
        remaining=remaining,
        show_remaining=this_month.year == year,
        largest_month=max(months, key=lambda m: m.amount_sek) if largest else None,
        allocation=allocation,
        chart_rows=[
            (month_label(m.month), share(m.amount_sek, largest), kronor(m.amount_sek))
            for m in months
        ],
        this_month=this_month,
        **_helpers(),
    )


@bp.get("/forecast.<any(xlsx, csv):extension>")
@roles_required(*READERS)
def forecast_export(extension: str) -> Any:
    year = _year_or_redirect("finance.forecast")
    if not isinstance(year, int):
        return year
    months = reimbursements.forecast(year)
    filename = finance_export.forecast_filename(year, extension)
    if extension == "xlsx":
        content = finance_export.forecast_xlsx(year, months)
        return _download(content, finance_export.XLSX_TYPE, filename)
    return _download(finance_export.forecast_csv(months), finance_export.CSV_TYPE, filename)


# --- one household's schedule ---------------------------------------------------------------


@dataclass
class PersonSchedule:
    person: Person | None
    rows: list[tuple[ReconciliationRow, ExpectedPayment | None]] = field(default_factory=list)

    @property
    def expected_sek(self) -> int:
        return sum((r.expected_sek for r, _e in self.rows), 0)

    @property
    def received_sek(self) -> int:
        return sum((r.received_sek for r, _e in self.rows), 0)

    @property
    def difference_sek(self) -> int:
        return self.received_sek - self.expected_sek


@bp.get("/households/<int:household_id>")
@roles_required(*READERS)
def household(household_id: int) -> Any:
    found = households.get_household(household_id)  # 404 for an unknown or foreign household
    day = today()
    expected = reimbursements.expected_for_household(found.id)
    received, _total = payments.list_payments(household_id=found.id, per_page=1000)
    years = sorted({e.month.year for e in expected} | {p.month.year for p in received})
    rows = [r for y in years for r in reconcile(y, day, household_id=found.id).rows]
    by_key = {(e.person_id, e.kind, e.month): e for e in expected}
    people = {p.id: PersonSchedule(p) for p in found.members}
    others = PersonSchedule(None)  # paid to the case, or for nobody Mottagning knows
    for row in rows:
        target = people.get(row.person_id) if row.person_id else None
        (target or others).rows.append((row, by_key.get((row.person_id, row.kind, row.month))))
    order = [*SCHABLON_KINDS, *PROTECTION_KINDS]
    kinds = sorted({r.kind for r in rows}, key=order.index)
    totals: dict[int | None, dict[str, int]] = defaultdict(dict)
    for row in rows:
        by_kind = totals[row.person_id if row.person_id in people else None]
        by_kind[row.kind] = by_kind.get(row.kind, 0) + row.expected_sek
    return render_template(
        "finance/household.html",
        household=found,
        schedules=[s for s in people.values() if s.rows] + ([others] if others.rows else []),
        people_without=[s.person for s in people.values() if not s.rows],
        received=received,
        kinds=kinds,
        totals=totals,
        kind_totals={k: sum((t.get(k, 0) for t in totals.values()), 0) for k in kinds},
        expected_sek=sum((r.expected_sek for r in rows), 0),
        received_sek=sum((r.received_sek for r in rows), 0),
        missing_sek=-sum(
            (
                r.difference_sek
                for r in rows
                if r.status in (MatchStatus.UNPAID, MatchStatus.PARTLY_PAID)
            ),
            0,
        ),
        today=day,
        **_helpers(),
    )


# --- reconciliation -------------------------------------------------------------------------


@bp.get("/reconciliation")
@roles_required(*READERS)
def reconciliation() -> Any:
    year = _year_or_redirect("finance.reconciliation")
    if not isinstance(year, int):
        return year
    status = request.args.get("status", "")
    if status not in {s.value for s in MatchStatus}:
        status = ""
    data = Input(request.args)
    page = data.integer("page", minimum=1) or 1
    result = reconcile(year, today())
    shown = [r for r in result.rows if not status or r.status == status]
    pages = max(1, (len(shown) + PER_PAGE - 1) // PER_PAGE)
    page = min(page, pages)
    args = {"year": year, **({"status": status} if status else {})}
    return render_template(
        "finance/reconciliation.html",
        year=year,
        result=result,
        status=status,
        statuses=STATUS_ORDER,
        rows=shown[(page - 1) * PER_PAGE : page * PER_PAGE],
        shown_count=len(shown),
        shown_expected=sum((r.expected_sek for r in shown), 0),
        shown_received=sum((r.received_sek for r in shown), 0),
        page=page,
        pages=pages,
        page_url=lambda n: url_for("finance.reconciliation", **args, page=n),
        status_note=difference_note,
        due_expected=sum(
            (r.expected_sek for r in result.rows if r.status != MatchStatus.NOT_DUE), 0
        ),
        missing=-(
            result.differences[MatchStatus.UNPAID] + result.differences[MatchStatus.PARTLY_PAID]
        ),
        surplus=result.differences[MatchStatus.OVERPAID]
        + result.differences[MatchStatus.UNEXPECTED],
        attention={
            MatchStatus.UNPAID,
            MatchStatus.PARTLY_PAID,
            MatchStatus.OVERPAID,
            MatchStatus.UNEXPECTED,
        },
        **_helpers(),
    )


@bp.get("/reconciliation.<any(xlsx, csv):extension>")
@roles_required(*READERS)
def reconciliation_export(extension: str) -> Any:
    year = _year_or_redirect("finance.reconciliation")
    if not isinstance(year, int):
        return year
    day = today()
    result = reconcile(year, day)
    filename = finance_export.reconciliation_filename(year, extension, day)
    if extension == "xlsx":
        content = finance_export.reconciliation_xlsx(result)
        return _download(content, finance_export.XLSX_TYPE, filename)
    return _download(finance_export.reconciliation_csv(result), finance_export.CSV_TYPE, filename)


# --- fördelningstal -------------------------------------------------------------------------


def _allocations_page(values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    return (
        render_template(
            "finance/allocations.html",
            allocations=list(reversed(reimbursements.list_allocations())),
            values=values,
            errors=errors,
            **_helpers(),
        ),
        status,
    )


@bp.get("/allocations")
@roles_required(*READERS)
def allocations() -> Any:
    return _allocations_page({"year": str(today().year)}, {})


@bp.post("/allocations")
@roles_required(*WRITERS)
def set_allocation() -> Any:
    values = {name: request.form.get(name, "") for name in ("year", "tp_places", "note")}
    raw_year = values["year"].strip()
    errors: dict[str, str] = {}
    if not raw_year.isdigit():
        errors["year"] = _("Give the year as four digits, e.g. %(year)d.", year=today().year)
    else:
        try:
            allocation = reimbursements.set_allocation(
                int(raw_year), {"tp_places": values["tp_places"], "note": values["note"]}, g.user
            )
        except ValidationError as exc:
            db.session.rollback()
            for error in exc.errors:
                errors.setdefault(error.field, error.message)
        else:
            flash(
                _(
                    "Fördelningstal %(year)d saved: %(places)d places, "
                    "%(amount)s expected in January.",
                    year=allocation.year,
                    places=allocation.tp_places,
                    amount=kronor(_place_amount(allocation.year)),
                ),
                "success",
            )
            return redirect(url_for("finance.allocations"), 303)
    return _allocations_page(values, errors, 422)


def _place_amount(year: int) -> int:
    january = reimbursements.forecast(year)[0]
    return january.by_kind.get("tp_place", 0)
