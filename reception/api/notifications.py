"""/api/v1/notifications, /api/v1/me: the caller's notifications, digest and calendar feed."""

from __future__ import annotations

from typing import Any

from flask import current_app, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from reception.api import bp
from reception.api.auth import current_user, json_body
from reception.models import Notification
from reception.reminders.messages import describe
from reception.services import calendar_feeds, notifications, reminders
from reception.services.errors import FieldError, ValidationError
from reception.services.validation import Input
from reception.timeutil import today


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _notification(n: Notification) -> dict[str, Any]:
    locale = get_locale()
    message = describe(n, locale.language if locale else "sv")
    return {
        "id": n.id,
        "kind": n.kind,
        "for_date": _iso(n.for_date),
        "task_id": n.task_id,
        "household_id": n.household_id,
        "subject": message.subject,
        "lines": message.lines,
        "sections": [{"heading": s.heading, "items": s.items} for s in message.sections],
        "payload": n.payload or {},
        "created_at": _iso(n.created_at),
        "delivered_at": _iso(n.delivered_at),
        "read_at": _iso(n.read_at),
    }


@bp.get("/notifications")
def list_notifications() -> Any:
    data = Input(request.args)
    unread = request.args.get("unread", "0")
    if unread not in ("0", "1"):
        data.error("unread", _("Must be 0 or 1."))
    limit = data.integer("limit", minimum=1) or notifications.DEFAULT_LIMIT
    maximum = current_app.config["API_PAGE_SIZE_MAX"]
    if limit > maximum:
        data.error("limit", _("At most %(n)d.", n=maximum))
    data.raise_if_errors()
    page = notifications.list_for(current_user(), unread_only=unread == "1", limit=limit)
    return {"items": [_notification(n) for n in page.items], "unread": page.unread}


@bp.post("/notifications/<int:notification_id>/read")
def read_notification(notification_id: int) -> Any:
    notification = notifications.mark_read(current_user(), notification_id)
    return _notification(notification)


@bp.post("/notifications/read-all")
def read_all_notifications() -> Any:
    updated = notifications.mark_all_read(current_user())
    return {"updated": updated, "unread": 0}


@bp.patch("/me")
def update_me() -> Any:
    body = json_body()
    unknown = sorted(set(body) - {"digest_enabled"})
    errors = [FieldError(f, _("This field cannot be changed here.")) for f in unknown]
    enabled = body.get("digest_enabled")
    if "digest_enabled" in body and not isinstance(enabled, bool):
        errors.append(FieldError("digest_enabled", _("Must be true or false.")))
    if errors:
        raise ValidationError(errors)
    user = current_user()
    if isinstance(enabled, bool):
        notifications.set_digest(user, enabled)
    return {"id": user.id, "email": user.email, "digest_enabled": user.digest_enabled}


@bp.post("/me/calendar-feed")
def create_calendar_feed() -> Any:
    raw = calendar_feeds.create_feed(current_user())
    url = url_for("feeds.calendar", token=raw, _external=True)
    return {"url": url}, 201


@bp.delete("/me/calendar-feed")
def revoke_calendar_feed() -> Any:
    calendar_feeds.revoke_feed(current_user())
    return "", 204


@bp.get("/tasks/waiting")
def waiting_tasks() -> Any:
    """Tasks waiting on an authority, longest wait first, with the days waited."""
    day = today()
    locale = get_locale()
    language = locale.language if locale else "sv"
    return {
        "items": [
            {
                "id": w.task.id,
                "key": w.task.key,
                "title": w.task.title(language),
                "household_id": w.task.household_id,
                "person_id": w.task.person_id,
                "due_date": _iso(w.task.due_date),
                "waiting_on": w.task.waiting_on,
                "waiting_since": _iso(w.task.waiting_since),
                "days_waited": w.days_waited,
            }
            for w in reminders.waiting_tasks(day)
        ]
    }
