"""Who is signed in, which municipality the request is bound to, and who may see what.

Public helpers for every page blueprint:

- `roles_required(*roles)`: decorator; anonymous users are sent to the sign-in
  page (with `next`), signed-in users without one of the roles get the 403 page.
  With no roles it only requires a signed-in user.
- `safe_next(target)`: a local URL to redirect to after a form, or None.
- `NAV`: the main menu entries (endpoint, label, roles); entries whose endpoint
  is not registered are left out, so a blueprint may be listed before it exists.
- The context processor gives every template `nav_items`, `language_switch_url`,
  `logout_url`, `current_locale`, `home_url`, and for a signed-in user `settings_url`,
  `notifications_url` and `unread_notifications()` (see templates/base.html).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from reception.extensions import db, login_manager
from reception.models import Role, User
from reception.models.tenancy import bind_tenant, system
from reception.services.notifications import unread_count

F = TypeVar("F", bound=Callable[..., Any])

# Reading households is open to every role; changing them to these (as in the API).
READERS = tuple(Role)
WRITERS = (Role.COORDINATOR, Role.MANAGER, Role.ADMIN)
# The municipality's accounts (reimbursements): read by these, changed by finance and admin.
FINANCE_READERS = (Role.FINANCE, Role.MANAGER, Role.ADMIN)

# In this order, except that the page a user lands on (landing_url) comes first.
NAV: list[tuple[str, Any, tuple[Role, ...]]] = [
    ("coordinator.tasks", _l("My tasks"), (Role.COORDINATOR, Role.MANAGER)),
    ("manager.dashboard", _l("Dashboard"), (Role.MANAGER,)),
    ("households.index", _l("Households"), READERS),
    ("households.new", _l("New household"), WRITERS),
    ("finance.forecast", _l("Forecast"), FINANCE_READERS),
    ("finance.reconciliation", _l("Reconciliation"), FINANCE_READERS),
    ("finance.payments", _l("Payments"), FINANCE_READERS),
    ("protection.quotas_page", _l("Quotas"), (Role.MANAGER, Role.FINANCE)),
    ("admin.users", _l("Users"), (Role.ADMIN,)),
]


def roles_required(*roles: Role | str) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = tuple(Role(r) for r in roles)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirects)."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def landing_url(user: User) -> str:
    """Where a user goes after signing in or on the site root."""
    if user.has_role(Role.COORDINATOR):
        return url_for("coordinator.home")
    if user.has_role(Role.MANAGER) and "manager.dashboard" in current_app.view_functions:
        return url_for("manager.dashboard")
    if user.has_role(Role.FINANCE) and "finance.forecast" in current_app.view_functions:
        return url_for("finance.forecast")
    if user.has_role(Role.ADMIN) and not user.has_role(Role.MANAGER, Role.FINANCE):
        return url_for("admin.users")
    return url_for("households.index")


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    # The municipality is not known yet: the user row is what tells it.
    user_id, _sep, _fingerprint = session_id.partition(":")
    if not user_id.isdigit():
        return None
    with system(db.session):
        user = db.session.scalar(select(User).where(User.id == int(user_id)))
    if user is None or not user.active or user.get_id() != session_id:
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized() -> Any:
    # A relative `next`, so that safe_next accepts it after sign-in.
    flash(str(login_manager.login_message), login_manager.login_message_category)
    target = url_for("auth.login", next=request.full_path.rstrip("?"))
    if request.headers.get("HX-Request"):
        response = current_app.response_class(status=204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def _idle_timeout_seconds() -> int:
    return int(current_app.config["IDLE_TIMEOUT_MINUTES"]) * 60


def bind_request() -> Any:
    """Bind the signed-in user's municipality; sign out after the idle timeout."""
    if request.blueprint == "api" or request.endpoint == "static":
        return None  # the API binds from its bearer token
    if not current_user.is_authenticated:
        return None
    now = time.time()
    last_seen = session.get("last_seen")
    if last_seen is not None and now - float(last_seen) > _idle_timeout_seconds():
        locale = session.get("locale")
        logout_user()
        session.clear()
        if locale:
            session["locale"] = locale
        flash(_("You were signed out after a period without activity. Please sign in again."))
        target = url_for("auth.login", next=request.full_path.rstrip("?"))
        if request.headers.get("HX-Request"):
            response = current_app.response_class(status=204)
            response.headers["HX-Redirect"] = target
            return response
        return redirect(target)
    session["last_seen"] = now
    session.permanent = True
    bind_tenant(db.session, current_user.municipality_id)
    g.user = current_user._get_current_object()
    return None


def template_context() -> dict[str, Any]:
    if not has_request_context():
        return {}  # e-mails rendered by the scheduler: no page chrome, no request URLs
    locale = get_locale()
    context: dict[str, Any] = {
        "current_locale": locale.language if locale else "sv",
        "language_switch_url": url_for("auth.set_language"),
        "home_url": url_for("coordinator.home"),
    }
    if current_user.is_authenticated:
        context["logout_url"] = url_for("auth.logout")
        context["can_write"] = current_user.has_role(*WRITERS)
        context["settings_url"] = url_for("me.settings")
        context["notifications_url"] = url_for("me.notifications_page")
        context["unread_notifications"] = _unread_notifications
        items = [
            (url_for(endpoint), str(label), _is_active(endpoint))
            for endpoint, label, roles in NAV
            if endpoint in current_app.view_functions and current_user.has_role(*roles)
        ]
        # A manager lands on the dashboard, finance on the forecast: that entry leads the
        # menu, so the start page is also the first place the menu offers to go back to.
        landing = landing_url(current_user)
        context["nav_items"] = sorted(items, key=lambda item: item[0] != landing)
    return context


# Pages that belong under another menu entry (endpoint prefixes).
_SECTIONS: dict[str, tuple[str, ...]] = {
    "finance.payments": (
        "finance.import",
        "finance.new_payment",
        "finance.add_payment",
        "finance.edit_payment",
        "finance.update_payment",
    ),
    "finance.forecast": ("finance.allocations", "finance.set_allocation"),
}


def _unread_notifications() -> int | None:
    """The header's unread count: one COUNT on (recipient_id, read_at), run only when a
    full page is rendered (htmx fragments do not call it)."""
    try:
        return unread_count(current_user)
    except SQLAlchemyError:
        # The error page must render even when the database is what failed.
        db.session.rollback()
        return None


def _is_active(endpoint: str) -> bool:
    current = request.endpoint or ""
    if current == endpoint:
        return True
    if current.startswith(_SECTIONS.get(endpoint, ())):
        return True
    # A household's own pages belong under "Households", not "New household".
    return (
        endpoint == "households.index"
        and current.startswith("households.")
        and (current != "households.new")
    )


def init_app(app: Flask) -> None:
    app.config.setdefault("IDLE_TIMEOUT_MINUTES", 30)
    app.config["PERMANENT_SESSION_LIFETIME"] = int(app.config["IDLE_TIMEOUT_MINUTES"]) * 60
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    app.before_request(bind_request)
    app.context_processor(template_context)
