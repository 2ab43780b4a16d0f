"""/api/v1 reimbursements: expected schedules, forecast, received payments, reconciliation.

Finance, managers and administrators only: these are the municipality's accounts.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request
from flask_babel import gettext as _

from reception.api import bp, serialize
from reception.api.auth import body_or_empty, current_user, json_body, require_role
from reception.api.versioning import required, tagged
from reception.models import AllocationYear, ExpectedPayment, PaymentImport, Role
from reception.services import finance_export, households, payments, reimbursements
from reception.services.errors import ServiceError
from reception.services.reconciliation import Reconciliation, ReconciliationRow, reconcile
from reception.services.validation import Input
from reception.timeutil import today

FINANCE = (Role.FINANCE, Role.MANAGER, Role.ADMIN)


def _expected(p: ExpectedPayment) -> dict[str, Any]:
    return {
        "person_id": p.person_id,
        "kind": p.kind,
        "month": serialize.month(p.month),
        "amount_sek": p.amount_sek,
        "rule": p.rule,
        "rate_year": p.rate_year,
        "age_used": p.age_used,
    }


def _import(batch: PaymentImport) -> dict[str, Any]:
    return {
        "id": batch.id,
        "filename": batch.filename,
        "sha256": batch.sha256,
        "row_count": batch.row_count,
        "total_sek": batch.total_sek,
        "imported_by_id": batch.imported_by_id,
        "imported_at": batch.imported_at.isoformat(),
    }


def _allocation(a: AllocationYear) -> dict[str, Any]:
    return {"year": a.year, "tp_places": a.tp_places, "note": a.note}


def _row(r: ReconciliationRow) -> dict[str, Any]:
    return {
        "household_id": r.household_id,
        "household_reference": r.household_reference,
        "person_id": r.person_id,
        "person_name": r.person_name,
        "identity": r.identity,
        "kind": r.kind,
        "month": serialize.month(r.month),
        "expected_sek": r.expected_sek,
        "received_sek": r.received_sek,
        "difference_sek": r.difference_sek,
        "status": r.status.value,
        "payment_ids": r.payment_ids,
        "rule": r.rule,
    }


def _reconciliation(result: Reconciliation) -> dict[str, Any]:
    return {
        "year": result.year,
        "expected_sek": result.expected_sek,
        "received_sek": result.received_sek,
        "difference_sek": result.difference_sek,
        "counts": {k.value: v for k, v in result.counts.items()},
        "differences": {k.value: v for k, v in result.differences.items()},
        "rows": [_row(r) for r in result.rows],
    }


def _download(content: bytes, content_type: str, filename: str) -> Response:
    response = Response(content, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _year_arg() -> int:
    return reimbursements.read_year(request.args)


def _household_arg() -> int | None:
    data = Input(request.args)
    value = data.integer("household_id", minimum=1)
    data.raise_if_errors()
    return value


# --- expected ------------------------------------------------------------------------------


@bp.get("/households/<int:household_id>/reimbursements")
@require_role(*FINANCE)
def household_reimbursements(household_id: int) -> Any:
    households.get_household(household_id)  # 404 for an unknown or foreign household
    return jsonify([_expected(p) for p in reimbursements.expected_for_household(household_id)])


@bp.get("/reimbursements/forecast")
@require_role(*FINANCE)
def forecast() -> Any:
    months = reimbursements.forecast(_year_arg())
    return jsonify(
        [
            {"month": serialize.month(m.month), "amount_sek": m.amount_sek, "by_kind": m.by_kind}
            for m in months
        ]
    )


@bp.get("/reimbursements/forecast.<any(xlsx, csv):extension>")
@require_role(*FINANCE)
def forecast_export(extension: str) -> Response:
    year = _year_arg()
    months = reimbursements.forecast(year)
    filename = finance_export.forecast_filename(year, extension)
    if extension == "xlsx":
        content = finance_export.forecast_xlsx(year, months)
        return _download(content, finance_export.XLSX_TYPE, filename)
    return _download(finance_export.forecast_csv(months), finance_export.CSV_TYPE, filename)


@bp.post("/reimbursements/recompute")
@require_role(Role.FINANCE, Role.ADMIN)
def recompute() -> Any:
    summary = reimbursements.recompute_all(current_user())
    return {
        "households": summary.households,
        "changed_households": summary.changed_households,
        "changes": summary.changes,
        "gaps": summary.gaps,
    }


# --- allocations (fördelningstal) --------------------------------------------------------------


@bp.get("/reimbursements/allocations")
@require_role(*FINANCE)
def list_allocations() -> Any:
    return jsonify([_allocation(a) for a in reimbursements.list_allocations()])


@bp.put("/reimbursements/allocations/<int:year>")
@require_role(Role.FINANCE, Role.ADMIN)
def put_allocation(year: int) -> Any:
    return _allocation(reimbursements.set_allocation(year, json_body(), current_user()))


# --- received --------------------------------------------------------------------------------


@bp.get("/reimbursements/received")
@require_role(*FINANCE)
def list_received() -> Any:
    data = Input(request.args)
    page = data.integer("page", minimum=1) or 1
    per_page = data.integer("per_page", minimum=1) or 50
    limit = current_app.config["API_PAGE_SIZE_MAX"]
    if per_page > limit:
        data.error("per_page", _("At most %(n)d.", n=limit))
    year = data.integer("year", minimum=reimbursements.FIRST_YEAR, maximum=reimbursements.LAST_YEAR)
    household_id = data.integer("household_id", minimum=1)
    data.raise_if_errors()
    items, total = payments.list_payments(
        year=year, household_id=household_id, page=page, per_page=per_page
    )
    return {
        "items": [serialize.received(p) for p in items],
        "total": total,
        "page": page,
        "per_page": per_page,
    }


@bp.post("/reimbursements/received")
@require_role(Role.FINANCE, Role.ADMIN)
def add_received() -> Any:
    payment = payments.add_payment(json_body(), current_user(), today())
    response = tagged(serialize.received(payment), 201)
    response.headers["Location"] = f"{bp.url_prefix}/reimbursements/received/{payment.id}"
    return response


@bp.get("/reimbursements/received/<int:payment_id>")
@require_role(*FINANCE)
def get_received(payment_id: int) -> Any:
    return tagged(serialize.received(payments.get_payment(payment_id)))


@bp.put("/reimbursements/received/<int:payment_id>")
@require_role(Role.FINANCE, Role.ADMIN)
def put_received(payment_id: int) -> Any:
    body = required(json_body(), lambda: payments.get_payment(payment_id))
    payment = payments.update_payment(payment_id, body, current_user(), today())
    return tagged(serialize.received(payment))


@bp.delete("/reimbursements/received/<int:payment_id>")
@require_role(Role.FINANCE, Role.ADMIN)
def delete_received(payment_id: int) -> Any:
    body = required(body_or_empty(), lambda: payments.get_payment(payment_id))
    payments.delete_payment(payment_id, current_user(), body)
    return Response(status=204)


# --- imports ---------------------------------------------------------------------------------


@bp.post("/reimbursements/imports")
@require_role(Role.FINANCE, Role.ADMIN)
def import_payments() -> Any:
    """A CSV payment specification: multipart field `file`, or the raw body as text/csv."""
    upload = request.files.get("file")
    if upload is not None:
        filename, content = upload.filename or "", upload.read()
    elif request.mimetype == "text/csv":
        filename = request.args.get("filename", "")
        content = request.get_data()
    else:
        raise ServiceError(_("Send the CSV file as multipart field 'file' or as text/csv."), "file")
    batch = payments.import_file(filename, content, current_user(), today())
    response = jsonify(_import(batch))
    response.status_code = 201
    response.headers["Location"] = f"{bp.url_prefix}/reimbursements/imports/{batch.id}"
    return response


@bp.get("/reimbursements/imports")
@require_role(*FINANCE)
def list_imports() -> Any:
    return jsonify([_import(b) for b in payments.list_imports()])


@bp.get("/reimbursements/imports/<int:import_id>")
@require_role(*FINANCE)
def get_import(import_id: int) -> Any:
    batch = payments.get_import(import_id)
    return {**_import(batch), "payments": [serialize.received(p) for p in batch.payments]}


@bp.delete("/reimbursements/imports/<int:import_id>")
@require_role(Role.FINANCE, Role.ADMIN)
def withdraw_import(import_id: int) -> Any:
    payments.withdraw_import(import_id, current_user())
    return Response(status=204)


# --- reconciliation --------------------------------------------------------------------------


@bp.get("/reimbursements/reconciliation")
@require_role(*FINANCE)
def reconciliation() -> Any:
    year, household_id = _year_arg(), _household_arg()
    return _reconciliation(reconcile(year, today(), household_id=household_id))


@bp.get("/reimbursements/reconciliation.<any(xlsx, csv):extension>")
@require_role(*FINANCE)
def reconciliation_export(extension: str) -> Response:
    year, household_id = _year_arg(), _household_arg()
    result = reconcile(year, today(), household_id=household_id)
    filename = finance_export.reconciliation_filename(year, extension, today())
    if extension == "xlsx":
        content = finance_export.reconciliation_xlsx(result)
        return _download(content, finance_export.XLSX_TYPE, filename)
    return _download(finance_export.reconciliation_csv(result), finance_export.CSV_TYPE, filename)
