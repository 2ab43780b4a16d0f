"""Calendar feeds at /feeds/<secret>.ics: the secret in the URL is the only credential."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from reception.services.calendar_feeds import feed_ics, user_for_feed

bp = Blueprint("feeds", __name__, url_prefix="/feeds")


@bp.get("/<token>.ics")
def calendar(token: str) -> Response:
    user = user_for_feed(token)
    if user is None:
        # The same answer for a revoked, mistyped or never-issued secret.
        abort(404)
    response = Response(feed_ics(user, request.host), mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="mottagning.ics"'
    # Private data: no shared caches; calendar clients poll on their own schedule.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
