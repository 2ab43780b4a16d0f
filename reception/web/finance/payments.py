"""/finance/payments and /finance/imports: received payments by hand and from CSV files."""

from __future__ import annotations

import re
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm.exc import StaleDataError

from reception.engine.reimbursement import PaymentKind
from reception.extensions import db
from reception.models import ReceivedPayment
from reception.services import finance_export, households, payment_file
from reception.services import payments as payment_service
from reception.services.errors import Conflict, FieldError, ValidationError
from reception.services.payment_file import CellError
from reception.services.reimbursements import FIRST_YEAR, LAST_YEAR
from reception.services.validation import Input
from reception.timeutil import today
from reception.web import conflicts
from reception.web.access import roles_required
from reception.web.finance import bp
from reception.web.finance.money import READERS, WRITERS, kronor, month_label, number, short_month

PER_PAGE = 50
FIELDS = ("paid_on", "amount_sek", "kind", "month", "personnummer", "case_reference", "reference")
_ROW_FIELD = re.compile(r"^rows\[(\d+)\](?:\.(.+))?$")


def _helpers() -> dict[str, Any]:
    return {
        "kronor": kronor,
        "number": number,
        "month_label": month_label,
        "short_month": short_month,
        "kind_label": finance_export.kind_label,
    }


def _kind_options() -> list[tuple[str, str]]:
    return [(k.value, finance_export.kind_label(k.value)) for k in PaymentKind]


def _household_options() -> list[tuple[int, str]]:
    items, _total = households.list_households(per_page=2000)
    return sorted(((h.id, h.reference) for h in items), key=lambda o: o[1])


def _errors(exc: ValidationError | Conflict) -> dict[str, str]:
    if isinstance(exc, Conflict):
        return {exc.field or "file": exc.message}
    errors: dict[str, str] = {}
    for error in exc.errors:
        errors.setdefault(error.field, error.message)
    return errors


# --- the list ------------------------------------------------------------------------------


@bp.get("/payments")
@roles_required(*READERS)
def payments() -> Any:
    data = Input(request.args)
    year = data.integer("year", minimum=FIRST_YEAR, maximum=LAST_YEAR)
    household_id = data.integer("household_id", minimum=1)
    page = data.integer("page", minimum=1) or 1
    filter_errors = {e.field: e.message for e in data.errors}
    if filter_errors:
        year = household_id = None
    items, total = payment_service.list_payments(
        year=year, household_id=household_id, page=page, per_page=PER_PAGE
    )
    args = {k: v for k, v in (("year", year), ("household_id", household_id)) if v}
    this_year = today().year
    return render_template(
        "finance/payments.html",
        items=items,
        total=total,
        year=year,
        household_id=household_id,
        year_options=[(y, str(y)) for y in range(this_year + 1, this_year - 6, -1)],
        household_options=_household_options(),
        filter_errors=filter_errors,
        page=page,
        pages=(total + PER_PAGE - 1) // PER_PAGE,
        page_url=lambda n: url_for("finance.payments", **args, page=n),
        page_sum=sum((p.amount_sek for p in items), 0),
        **_helpers(),
    )


# --- entered by hand -------------------------------------------------------------------------


def _form_values(payment: ReceivedPayment) -> dict[str, str]:
    """The edit form's fields from a stored payment; the identity goes back where it came from."""
    identity = payment.identity or ""
    try:
        number_given = payment_file.parse_identity(identity) if identity else ""
    except CellError:
        number_given = ""
    return {
        "paid_on": payment.paid_on.isoformat(),
        "amount_sek": str(payment.amount_sek),
        "kind": payment.kind,
        "month": f"{payment.month:%Y-%m}",
        "personnummer": identity if number_given else "",
        "case_reference": "" if number_given else identity,
        "reference": payment.reference or "",
    }


def _payment_form(
    payment: ReceivedPayment | None,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Any:
    return (
        render_template(
            "finance/payment_form.html",
            payment=payment,
            values=values,
            errors=errors,
            originals=_form_values(payment) if payment else {},
            fields=FIELDS,
            kind_options=_kind_options(),
            today=today(),
            **_helpers(),
        ),
        status,
    )


def _posted() -> dict[str, str]:
    return {name: request.form.get(name, "").strip() for name in FIELDS}


@bp.get("/payments/new")
@roles_required(*WRITERS)
def new_payment() -> Any:
    return _payment_form(None, {"paid_on": today().isoformat()}, {})


@bp.post("/payments/new")
@roles_required(*WRITERS)
def add_payment() -> Any:
    values = _posted()
    try:
        payment = payment_service.add_payment(values, g.user, today())
    except ValidationError as exc:
        db.session.rollback()
        return _payment_form(None, values, _errors(exc), 422)
    flash(
        _(
            "Payment of %(amount)s for %(month)s recorded.",
            amount=kronor(payment.amount_sek),
            month=month_label(payment.month),
        ),
        "success",
    )
    return redirect(url_for("finance.payments"), 303)


@bp.get("/payments/<int:payment_id>/edit")
@roles_required(*WRITERS)
def edit_payment(payment_id: int) -> Any:
    payment = payment_service.get_payment(payment_id)
    if payment.import_id is not None:
        flash(
            _("Imported payments are changed by withdrawing their import and importing again."),
            "info",
        )
        return redirect(url_for("finance.import_detail", import_id=payment.import_id), 303)
    return _payment_form(payment, _form_values(payment), {})


def _refused(
    payment_id: int, values: dict[str, str], exc: ValidationError | Conflict | StaleDataError
) -> Any:
    """The form again with the user's input; a stale one (409) says what changed meanwhile."""
    db.session.rollback()
    payment = payment_service.get_payment(payment_id)
    lost = isinstance(exc, conflicts.STALE)
    errors = {} if lost else _errors(exc)
    status = 422
    if lost or conflicts.is_behind(payment, request.form):
        stale = conflicts.stale_form(payment, request.form, "payment-form", _form_values(payment))
        errors = {stale.target: stale.message, **errors}
        values = {**_form_values(payment), **conflicts.edited(values, request.form)}
        status = 409
    return _payment_form(payment, values, errors, status)


@bp.post("/payments/<int:payment_id>/edit")
@roles_required(*WRITERS)
def update_payment(payment_id: int) -> Any:
    values = _posted()
    try:
        payment_service.update_payment(
            payment_id, {**values, **conflicts.version_sent(request.form)}, g.user, today()
        )
    except (ValidationError, *conflicts.STALE) as exc:
        return _refused(payment_id, values, exc)
    flash(_("The payment is corrected."), "success")
    return redirect(url_for("finance.payments"), 303)


@bp.post("/payments/<int:payment_id>/delete")
@roles_required(*WRITERS)
def delete_payment(payment_id: int) -> Any:
    try:
        payment_service.delete_payment(payment_id, g.user, conflicts.version_sent(request.form))
    except (ValidationError, *conflicts.STALE) as exc:
        # Nothing was entered but the decision: the form shows the payment as it is now.
        return _refused(payment_id, _form_values(payment_service.get_payment(payment_id)), exc)
    flash(_("The payment is deleted."), "success")
    return redirect(url_for("finance.payments"), 303)


# --- imported from a file --------------------------------------------------------------------


def _file_errors(errors: list[FieldError]) -> list[tuple[int | None, str | None, str]]:
    """(line, column, message) for every error of a refused file, in line order."""
    found = []
    for error in errors:
        match = _ROW_FIELD.match(error.field)
        line = int(match.group(1)) if match else None
        column = match.group(2) if match else None
        found.append((line, column, error.message))
    return sorted(found, key=lambda e: (e[0] or 0,))


def _imports_page(
    file_errors: list[tuple[int | None, str | None, str]],
    summary: str | None,
    status: int = 200,
) -> Any:
    return (
        render_template(
            "finance/imports.html",
            imports=payment_service.list_imports(),
            file_errors=file_errors,
            summary=summary,
            **_helpers(),
        ),
        status,
    )


@bp.get("/imports")
@roles_required(*READERS)
def imports() -> Any:
    return _imports_page([], None)


@bp.post("/imports")
@roles_required(*WRITERS)
def import_file() -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _imports_page([], _("Choose the CSV file to import."), 422)
    try:
        batch = payment_service.import_file(upload.filename, upload.read(), g.user, today())
    except ValidationError as exc:
        db.session.rollback()
        file_errors = _file_errors(exc.errors)
        summary = ngettext(
            "The file was not imported: %(num)d problem. Nothing was saved.",
            "The file was not imported: %(num)d problems. Nothing was saved.",
            len(file_errors),
        )
        return _imports_page(file_errors, summary, 422)
    except Conflict as exc:
        db.session.rollback()
        return _imports_page([], exc.message, 409)
    flash(
        ngettext(
            "%(name)s imported: %(num)d payment, %(amount)s.",
            "%(name)s imported: %(num)d payments, %(amount)s.",
            batch.row_count,
            name=batch.filename,
            amount=kronor(batch.total_sek),
        ),
        "success",
    )
    return redirect(url_for("finance.import_detail", import_id=batch.id), 303)


@bp.get("/imports/<int:import_id>")
@roles_required(*READERS)
def import_detail(import_id: int) -> Any:
    batch = payment_service.get_import(import_id)
    return render_template(
        "finance/import.html",
        batch=batch,
        items=sorted(batch.payments, key=lambda p: p.import_line or 0),
        **_helpers(),
    )


@bp.post("/imports/<int:import_id>/withdraw")
@roles_required(*WRITERS)
def withdraw_import(import_id: int) -> Any:
    batch = payment_service.get_import(import_id)
    name, count = batch.filename, batch.row_count
    payment_service.withdraw_import(import_id, g.user)
    flash(
        ngettext(
            "%(name)s withdrawn: %(num)d payment removed.",
            "%(name)s withdrawn: %(num)d payments removed.",
            count,
            name=name,
        ),
        "success",
    )
    return redirect(url_for("finance.imports"), 303)
