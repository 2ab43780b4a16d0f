"""/manager/quotas and /manager/protection-end (read: manager, finance, admin; change:
manager, admin, as in the API)."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from reception.engine import protection as rules
from reception.extensions import db
from reception.models import Role
from reception.services import protection, quotas
from reception.services.errors import ValidationError
from reception.services.validation import Input
from reception.timeutil import today
from reception.web.access import roles_required
from reception.web.protection import bp

MANAGERS = (Role.MANAGER, Role.ADMIN)
READERS = (Role.MANAGER, Role.FINANCE, Role.ADMIN)


def _errors(exc: ValidationError, prefix: str = "") -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors:
        errors.setdefault(prefix + error.field, error.message)
    return errors


def _quotas_page(values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    this_year = today().year
    years = [quotas.quota_year(year) for year in (this_year, this_year + 1)]
    return (
        render_template(
            "protection/quotas.html",
            years=years,
            kommuntal={q.year: quotas.get_kommuntal(q.year) for q in years},
            can_manage=g.user.has_role(*MANAGERS),
            values=values,
            errors=errors,
        ),
        status,
    )


@bp.get("/quotas")
@roles_required(*READERS)
def quotas_page() -> Any:
    return _quotas_page({}, {})


@bp.post("/quotas/<int:year>/kommuntal")
@roles_required(*MANAGERS)
def set_kommuntal(year: int) -> Any:
    form = {"persons": request.form.get("persons", ""), "note": request.form.get("note", "")}
    prefix = f"kommuntal-{year}-"
    try:
        quota = quotas.set_kommuntal(year, form, g.user)
    except ValidationError as exc:
        db.session.rollback()
        values = {prefix + k: v for k, v in form.items()}
        return _quotas_page(values, _errors(exc, prefix), 422)
    flash(
        _("Kommuntal %(year)d: %(persons)d people.", year=quota.year, persons=quota.persons),
        "success",
    )
    return redirect(url_for("protection.quotas_page") + f"#year-{quota.year}", 303)


def _scenario_page(values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    return (
        render_template(
            "protection/scenario.html",
            end=protection.current_end(),
            history=protection.scenarios(),
            last_day=rules.last_protected_day,
            can_manage=g.user.has_role(*MANAGERS),
            values=values,
            errors=errors,
        ),
        status,
    )


@bp.get("/protection-end")
@roles_required(*READERS)
def scenario() -> Any:
    return _scenario_page({}, {})


@bp.post("/protection-end")
@roles_required(*MANAGERS)
def set_scenario() -> Any:
    values = {
        "protection_end": request.form.get("protection_end", "").strip(),
        "reason": request.form.get("reason", ""),
        "use_default": request.form.get("use_default", ""),
    }
    # An empty date would return to the rate files' date: the form asks for that explicitly.
    payload = {
        "protection_end": None if values["use_default"] else values["protection_end"],
        "reason": values["reason"],
    }
    try:
        if payload["protection_end"] == "":
            data = Input(values)
            data.error(
                "protection_end",
                _("Enter the first day without protection, or choose the date decided by the EU."),
            )
            data.text("reason", required=True, max_length=protection.REASON_MAX)
            data.raise_if_errors()
        result = protection.set_protection_end(payload, g.user)
    except ValidationError as exc:
        db.session.rollback()
        return _scenario_page(values, _errors(exc), 422)
    flash(
        _(
            "The last day of protection is now %(date)s. %(households)s, %(tasks)s and "
            "%(payments)s followed.",
            date=format_date(result.end.last_protected_day, "long"),
            households=ngettext(
                "%(num)d open household was recomputed",
                "%(num)d open households were recomputed",
                result.households,
            ),
            tasks=ngettext("%(num)d due date moved", "%(num)d due dates moved", len(result.moved)),
            payments=ngettext(
                "%(num)d expected payment changed",
                "%(num)d expected payments changed",
                result.payment_changes,
            ),
        ),
        "success",
    )
    return redirect(url_for("protection.scenario"), 303)
