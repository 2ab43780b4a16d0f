"""Bearer-token authentication, tenant binding, role checks and JSON errors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, g, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from reception.api import bp
from reception.extensions import db
from reception.models import Role, User
from reception.models.tenancy import bind_tenant
from reception.services.errors import ServiceError, ValidationError
from reception.services.tokens import user_for_token

F = TypeVar("F", bound=Callable[..., Any])

# Roles that may change households and tasks; every role may read.
WRITERS = (Role.COORDINATOR, Role.MANAGER, Role.ADMIN)


def error_response(status: int, message: str, field: str | None = None, **extra: Any) -> Response:
    response = jsonify({"error": message, "field": field, **extra})
    response.status_code = status
    return response


@bp.before_request
def authenticate() -> Response | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        response = error_response(401, _("A bearer token is required."), "Authorization")
        response.headers["WWW-Authenticate"] = 'Bearer realm="mottagning"'
        return response
    user = user_for_token(raw.strip())
    if user is None:
        response = error_response(401, _("The token is invalid or revoked."), "Authorization")
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    g.user = user
    bind_tenant(db.session, user.municipality_id)
    return None


def current_user() -> User:
    return g.user


def require_role(*roles: Role) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user().has_role(*roles):
                return error_response(403, _("Your role does not allow this."), None)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def json_body() -> dict[str, Any]:
    """The request's JSON object; anything else is a 400 naming the body."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ServiceError(_("The request body must be a JSON object."), "body")
    return body


def body_or_empty() -> dict[str, Any]:
    """As json_body, but an empty body (an action, a DELETE) is an empty object."""
    if not request.get_data():
        return {}
    return json_body()


@bp.errorhandler(ServiceError)
def service_error(exc: ServiceError) -> Response:
    db.session.rollback()
    extra = {}
    if isinstance(exc, ValidationError):
        extra["errors"] = [{"field": e.field, "error": e.message} for e in exc.errors]
    return error_response(exc.status, exc.message, exc.field, **extra)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response:
    db.session.rollback()
    return error_response(exc.code or 500, exc.description or exc.name, None)


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def api_route_error(exc: HTTPException) -> Response | HTTPException:
    # Unknown /api/ URLs answer in JSON too; other paths keep the app's own pages.
    if request.path.startswith(bp.url_prefix or "/api/"):
        return error_response(exc.code or 404, exc.description or exc.name, None)
    return exc


@bp.errorhandler(Exception)
def unexpected_error(exc: Exception) -> Response:
    db.session.rollback()
    from flask import current_app

    current_app.logger.exception("API error on %s %s", request.method, request.path)
    return error_response(500, _("Internal error; nothing was saved."), None)
