"""/notifications (the in-app list) and /me (language, daily digest, calendar feed)."""

from __future__ import annotations

from typing import Any

from flask import flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from reception.services import calendar_feeds, notifications
from reception.web.access import roles_required
from reception.web.me import bp
from reception.web.me.presenters import present
from reception.web.presenters import locale_code


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


@bp.get("/notifications")
@roles_required()
def notifications_page() -> Any:
    unread_only = request.args.get("show") == "unread"
    page = notifications.list_for(g.user, unread_only=unread_only)
    locale = locale_code()
    return render_template(
        "me/notifications.html",
        items=[present(n, g.user, locale) for n in page.items],
        unread=page.unread,
        unread_only=unread_only,
        limit=notifications.DEFAULT_LIMIT,
    )


@bp.post("/notifications/<int:notification_id>/read")
@roles_required()
def read_notification(notification_id: int) -> Any:
    notification = notifications.mark_read(g.user, notification_id)
    if not _is_htmx():
        flash(_("The notification is marked read."), "success")
        return redirect(_back(), 303)
    return render_template(
        "me/_notification_response.html",
        item=present(notification, g.user, locale_code()),
        message=_("The notification is marked read."),
    )


@bp.post("/notifications/read-all")
@roles_required()
def read_all_notifications() -> Any:
    updated = notifications.mark_all_read(g.user)
    if updated:
        flash(
            ngettext(
                "%(num)d notification is marked read.",
                "%(num)d notifications are marked read.",
                updated,
            ),
            "success",
        )
    else:
        flash(_("You had no unread notifications."), "info")
    return redirect(url_for("me.notifications_page"), 303)


def _back() -> str:
    # Only the list's own views: "show=unread" survives, nothing else is trusted.
    if request.form.get("show") == "unread":
        return url_for("me.notifications_page", show="unread")
    return url_for("me.notifications_page")


@bp.get("/me")
@roles_required()
def settings() -> Any:
    return _settings_page()


def _settings_page(feed_url: str | None = None) -> Any:
    response = make_response(
        render_template(
            "me/settings.html",
            user=g.user,
            has_feed=g.user.calendar_token_hash is not None,
            feed_url=feed_url,
        )
    )
    if feed_url:
        # The secret is shown this once: not to be kept by a browser or proxy cache.
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/me/digest")
@roles_required()
def set_digest() -> Any:
    enabled = request.form.get("digest") == "on"
    notifications.set_digest(g.user, enabled)
    if enabled:
        flash(_("You will get the daily summary by e-mail."), "success")
    else:
        flash(_("You will no longer get the daily summary by e-mail."), "success")
    return redirect(url_for("me.settings", _anchor="digest-title"), 303)


@bp.post("/me/calendar-feed")
@roles_required()
def create_feed() -> Any:
    """Create the feed, or replace its address; the new address is shown once, here."""
    replaced = g.user.calendar_token_hash is not None
    raw = calendar_feeds.create_feed(g.user)
    if replaced:
        flash(_("A new calendar address is made. The old one no longer works."), "success")
    else:
        flash(_("Your calendar address is made."), "success")
    return _settings_page(url_for("feeds.calendar", token=raw, _external=True))


@bp.post("/me/calendar-feed/revoke")
@roles_required()
def revoke_feed() -> Any:
    if calendar_feeds.revoke_feed(g.user):
        flash(_("The calendar address is removed. It no longer works."), "success")
    else:
        flash(_("You had no calendar address."), "info")
    return redirect(url_for("me.settings", _anchor="calendar-title"), 303)
