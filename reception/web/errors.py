"""Error pages for the HTML interface; /api/ paths keep their JSON answers."""

from __future__ import annotations

from typing import Any

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from reception.extensions import db
from reception.services.errors import Forbidden, NotFound, ServiceError
from reception.web.access import safe_next


def _is_api() -> bool:
    return request.path.startswith("/api/")


def http_error(exc: HTTPException) -> Any:
    if _is_api():
        from reception.api.auth import api_route_error

        return api_route_error(exc)
    db.session.rollback()
    code = exc.code or 500
    template = {403: "errors/403.html", 404: "errors/404.html"}.get(code)
    if template is None:
        return exc
    return render_template(template), code


def csrf_error(exc: CSRFError) -> Any:
    # Usually a form left open past the token's lifetime: say so and let them retry.
    from flask_babel import gettext as _

    flash(_("The form had expired. Please try again."), "error")
    return redirect(safe_next(request.form.get("next")) or _back()), 303


def internal_error(exc: Exception) -> Any:
    db.session.rollback()
    if _is_api():
        return exc
    return render_template("errors/500.html"), 500


def service_error(exc: ServiceError) -> Any:
    """A refused operation that the view did not handle itself."""
    db.session.rollback()
    if isinstance(exc, NotFound):
        return render_template("errors/404.html"), 404
    if isinstance(exc, Forbidden):
        return render_template("errors/403.html"), 403
    flash(exc.message, "error")
    return redirect(_back()), 303


def _back() -> str:
    referrer = request.referrer or ""
    host = request.host_url.rstrip("/")
    if referrer.startswith(host):
        local = safe_next(referrer.removeprefix(host))
        if local:
            return local
    return url_for("coordinator.home")


def init_app(app: Flask) -> None:
    for code in (403, 404, 405):
        app.register_error_handler(code, http_error)
    app.register_error_handler(500, internal_error)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(ServiceError, service_error)
