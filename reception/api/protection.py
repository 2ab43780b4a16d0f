"""/api/v1: temporary protection (end scenario, linked cases, family summary) and quotas."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, request
from flask_babel import gettext as _

from reception.api import bp, serialize
from reception.api.auth import current_user, json_body, require_role
from reception.models import ChangeEvent, ProtectionEndScenario, Role
from reception.services import protection, quotas, summary
from reception.services.errors import FieldError, ValidationError
from reception.timeutil import today

MANAGERS = (Role.MANAGER, Role.ADMIN)
QUOTA_READERS = (Role.MANAGER, Role.FINANCE, Role.ADMIN)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _scenario(s: ProtectionEndScenario) -> dict[str, Any]:
    return {
        "id": s.id,
        "protection_end": _iso(s.protection_end),
        "reason": s.reason,
        "set_by_id": s.set_by_id,
        "set_by": s.set_by.name if s.set_by else None,
        "set_at": s.set_at.isoformat(),
    }


def _end(end: protection.ProtectionEnd) -> dict[str, Any]:
    return {
        "protection_end": end.protection_end.isoformat(),
        "last_protected_day": end.last_protected_day.isoformat(),
        "default_protection_end": end.default_end.isoformat(),
        "scenario": _scenario(end.scenario) if end.scenario else None,
    }


@bp.get("/protection-end")
def get_protection_end() -> Any:
    data = _end(protection.current_end())
    data["history"] = [_scenario(s) for s in protection.scenarios()]
    return data


@bp.put("/protection-end")
@require_role(*MANAGERS)
def put_protection_end() -> Any:
    result = protection.set_protection_end(json_body(), current_user())
    data = _end(result.end)
    data["households_recomputed"] = result.households
    data["payments_changed"] = result.payment_changes
    data["moved"] = serialize.moved(result.moved)
    return data


def _event(e: ChangeEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "household_id": e.household_id,
        "entity": e.entity,
        "entity_id": e.entity_id,
        "field": e.field,
        "old_value": e.old_value,
        "new_value": e.new_value,
        "reason": e.reason,
        "actor_id": e.actor_id,
        "at": e.at.isoformat(),
    }


@bp.get("/households/<int:household_id>/chain")
def household_chain(household_id: int) -> Any:
    linked = protection.chain(household_id)
    return {
        "households": [serialize.household(h, today()) for h in linked.households],
        "history": [_event(e) for e in linked.events],
    }


@bp.get("/households/<int:household_id>/summary")
def household_summary(household_id: int) -> Response:
    lang = request.args.get("lang", "sv")
    if lang not in summary.LANGUAGES:
        raise ValidationError(
            [FieldError("lang", _("Must be one of: %(v)s.", v=", ".join(summary.LANGUAGES)))]
        )
    html = summary.render(household_id, lang, today())
    return Response(html, mimetype="text/html", headers={"Content-Language": lang})


def _quota_year(q: quotas.QuotaYear) -> dict[str, Any]:
    f, k = q.fordelningstal, q.kommuntal
    return {
        "year": q.year,
        "fordelningstal": {
            "allocated": f.allocated,
            "used": f.used,
            "housed": f.housed,
            "remaining": None if f.allocated is None else f.allocated - f.used,
        },
        "kommuntal": {
            "allocated": k.allocated,
            "persons": k.persons,
            "households": k.households,
            "from_temporary_protection": k.from_temporary_protection,
            "remaining": None if k.allocated is None else k.allocated - k.persons,
        },
    }


@bp.get("/quotas/<int:year>")
@require_role(*QUOTA_READERS)
def get_quotas(year: int) -> Any:
    return _quota_year(quotas.quota_year(quotas.checked_year(year)))


@bp.put("/quotas/<int:year>/kommuntal")
@require_role(*MANAGERS)
def put_kommuntal(year: int) -> Any:
    quotas.set_kommuntal(year, json_body(), current_user())
    return _quota_year(quotas.quota_year(year))
