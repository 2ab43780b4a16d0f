"""/manager: deadline alerts, compliance, workload, and moving work between coordinators."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, format_number, format_percent, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from reception.extensions import db
from reception.models import Role
from reception.services import dashboard, reassignment
from reception.services.dashboard import MonthCompliance, Ratio
from reception.services.errors import ValidationError
from reception.timeutil import today
from reception.web.access import roles_required
from reception.web.manager import bp

MANAGERS = (Role.MANAGER, Role.ADMIN)

# The compliance chart shows one measure at a time, picked with ?chart=… (no script needed).
CHARTS: dict[str, tuple[Any, str]] = {
    "received": (_l("Received by the legal deadline"), "received_in_time"),
    "skatteverket": (_l("Skatteverket visit within 14 days"), "skatteverket_in_time"),
    "sfi": (_l("SFI application sent in time"), "sfi_in_time"),
}


def ratio_text(ratio: Ratio) -> str:
    """'2 of 3 (67 %)' in the page's language, or '' when there is nothing to count."""
    if ratio.percent is None:
        return ""
    return _(
        "%(kept)s of %(total)s (%(percent)s)",
        kept=format_number(ratio.numerator),
        total=format_number(ratio.denominator),
        percent=percent_text(ratio),
    )


def percent_text(ratio: Ratio) -> str:
    # An exact Decimal of the whole percent: the locale only decides the sign and spacing.
    return format_percent(Decimal(ratio.percent or 0) / 100)


def month_label(month: date) -> str:
    return format_date(month, "LLLL y")


def _chart_rows(months: list[MonthCompliance], attribute: str) -> list[tuple[str, int | None, str]]:
    """Newest month first, as in the table above the chart, which gives the counts."""
    rows = []
    for month in reversed(months):
        ratio: Ratio = getattr(month, attribute)
        text = percent_text(ratio) if ratio.denominator else ""
        rows.append((month_label(month.month), ratio.percent, text))
    return rows


@bp.get("/", endpoint="dashboard")
@roles_required(*MANAGERS)
def dashboard_page() -> Any:
    day = today()
    chart = request.args.get("chart", "received")
    if chart not in CHARTS:
        chart = "received"
    months = dashboard.compliance_by_month(day)
    chart_label, attribute = CHARTS[chart]
    return render_template(
        "manager/dashboard.html",
        today=day,
        alerts=dashboard.alerts(day),
        workload=dashboard.workload(day),
        months=months,
        month_label=month_label,
        ratio_text=ratio_text,
        number=format_number,
        charts=[(key, label) for key, (label, _attr) in CHARTS.items()],
        chart=chart,
        chart_label=chart_label,
        chart_rows=_chart_rows(months, attribute),
    )


def _form_page(values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    rows = dashboard.workload(today())
    sources = [
        (
            row.user_id,
            _(
                "%(name)s (%(tasks)s, %(households)s)",
                name=row.name,
                tasks=ngettext("%(num)d open task", "%(num)d open tasks", row.open_tasks),
                households=ngettext("%(num)d household", "%(num)d households", row.households),
            ),
        )
        for row in rows
        if row.user_id is not None
    ]
    targets = [(user.id, user.name) for user in reassignment.coordinators()]
    return (
        render_template(
            "manager/reassign.html",
            sources=sources,
            targets=targets,
            values=values,
            errors=errors,
        ),
        status,
    )


@bp.get("/reassign")
@roles_required(*MANAGERS)
def reassign_form() -> Any:
    values = {
        "from_user_id": request.args.get("from_user_id", ""),
        "to_user_id": "",
        "move": [reassignment.TASKS, reassignment.HOUSEHOLDS],
    }
    return _form_page(values, {})


@bp.post("/reassign")
@roles_required(*MANAGERS)
def reassign() -> Any:
    values = {
        "from_user_id": request.form.get("from_user_id", ""),
        "to_user_id": request.form.get("to_user_id", ""),
        "move": request.form.getlist("move"),
    }
    try:
        result = reassignment.reassign(values, g.user)
    except ValidationError as exc:
        db.session.rollback()
        errors: dict[str, str] = {}
        for error in exc.errors:
            errors.setdefault(error.field, error.message)
        return _form_page(values, errors, 422)
    if result.tasks or result.households:
        moved = [
            text
            for count, text in (
                (result.tasks, ngettext("%(num)d open task", "%(num)d open tasks", result.tasks)),
                (
                    result.households,
                    ngettext("%(num)d household", "%(num)d households", result.households),
                ),
            )
            if count
        ]
        what = (
            moved[0]
            if len(moved) == 1
            else _("%(first)s and %(second)s", first=moved[0], second=moved[1])
        )
        flash(
            _(
                "Moved %(what)s from %(old)s to %(new)s.",
                what=what,
                old=result.from_user.name,
                new=result.to_user.name,
            ),
            "success",
        )
    else:
        flash(_("%(name)s had nothing of that kind to move.", name=result.from_user.name), "info")
    return redirect(url_for("manager.dashboard") + "#workload", 303)
