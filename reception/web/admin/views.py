"""/admin/users: an administrator manages the users of their own municipality.

Municipalities themselves are created with the command line (see README).
"""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from reception.extensions import db
from reception.models import Role
from reception.services import accounts, passwords
from reception.services.errors import Conflict, ValidationError
from reception.web.access import roles_required
from reception.web.admin import bp

ROLE_LABELS = {
    Role.COORDINATOR.value: _l("Coordinator"),
    Role.MANAGER.value: _l("Manager"),
    Role.FINANCE.value: _l("Finance"),
    Role.ADMIN.value: _l("Administrator"),
}
LOCALES = [("sv", "Svenska"), ("en", "English")]


def _role_options() -> list[tuple[str, str]]:
    return [(key, str(label)) for key, label in ROLE_LABELS.items()]


def _errors(exc: ValidationError | Conflict) -> dict[str, str]:
    if isinstance(exc, ValidationError):
        return {e.field: e.message for e in exc.errors}
    return {exc.field or "email": exc.message}


@bp.get("/users")
@roles_required(Role.ADMIN)
def users() -> Any:
    return render_template(
        "admin/users.html", users=accounts.users_of_municipality(), role_labels=ROLE_LABELS
    )


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user() -> Any:
    values: dict[str, Any] = {"roles": [Role.COORDINATOR.value], "locale": "sv"}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {
            "email": request.form.get("email", ""),
            "name": request.form.get("name", ""),
            "roles": request.form.getlist("roles"),
            "locale": request.form.get("locale", "sv"),
        }
        password = request.form.get("password", "")
        try:
            if password:
                passwords.check_strength(password)
            user = accounts.create_user(
                g.user.municipality,
                values["email"],
                values["name"],
                values["roles"],
                values["locale"],
            )
        except (ValidationError, Conflict) as exc:
            db.session.rollback()
            errors = _errors(exc)
        else:
            if password:
                passwords.set_password(user, password)
            flash(_("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users"), 303)
    return render_template(
        "admin/user_form.html",
        user=None,
        values=values,
        errors=errors,
        role_options=_role_options(),
        locale_options=LOCALES,
    ), (422 if errors else 200)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int) -> Any:
    user = accounts.get_user(user_id)
    values: dict[str, Any] = {
        "email": user.email,
        "name": user.name,
        "roles": user.roles.split(),
        "locale": user.locale,
        "active": user.active,
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values.update(
            name=request.form.get("name", ""),
            roles=request.form.getlist("roles"),
            locale=request.form.get("locale", ""),
            active=request.form.get("active") == "y",
        )
        try:
            accounts.update_user(
                user.id,
                {k: values[k] for k in ("name", "roles", "locale", "active")},
                g.user,
            )
        except ValidationError as exc:
            db.session.rollback()
            errors = _errors(exc)
        else:
            flash(_("Changes to %(email)s saved.", email=user.email), "success")
            return redirect(url_for("admin.users"), 303)
    return render_template(
        "admin/user_form.html",
        user=user,
        values=values,
        errors=errors,
        role_options=_role_options(),
        locale_options=LOCALES,
    ), (422 if errors else 200)


@bp.post("/users/<int:user_id>/password")
@roles_required(Role.ADMIN)
def set_password(user_id: int) -> Any:
    user = accounts.get_user(user_id)
    password = request.form.get("password", "")
    if password != request.form.get("password_again", ""):
        errors = {"password_again": _("The two passwords differ.")}
    else:
        try:
            passwords.set_password(user, password)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            flash(_("New password set for %(email)s.", email=user.email), "success")
            return redirect(url_for("admin.users"), 303)
    return render_template(
        "admin/user_form.html",
        user=user,
        values={
            "email": user.email,
            "name": user.name,
            "roles": user.roles.split(),
            "locale": user.locale,
            "active": user.active,
        },
        errors=errors,
        role_options=_role_options(),
        locale_options=LOCALES,
    ), 422
