"""Municipalities and users (for the CLI now; admin pages build on the same calls)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from reception.extensions import db
from reception.models import Municipality, Role, User
from reception.models.tenancy import get_in_tenant, system
from reception.services.errors import Conflict, FieldError, NotFound, ValidationError
from reception.services.validation import Input

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def create_municipality(code: str, name: str) -> Municipality:
    errors = []
    if not re.fullmatch(r"\d{4}", code):
        errors.append(FieldError("code", _("A municipality code has four digits.")))
    if not name.strip():
        errors.append(FieldError("name", _("This field is required.")))
    if errors:
        raise ValidationError(errors)
    if db.session.scalar(select(Municipality).where(Municipality.code == code)):
        raise Conflict(_("A municipality with this code already exists."), "code")
    municipality = Municipality(code=code, name=name.strip())
    db.session.add(municipality)
    db.session.commit()
    return municipality


def municipality_by_code(code: str) -> Municipality:
    municipality = db.session.scalar(select(Municipality).where(Municipality.code == code))
    if municipality is None:
        raise NotFound(_("No municipality with code %(code)s.", code=code), "municipality")
    return municipality


def create_user(
    municipality: Municipality, email: str, name: str, roles: list[str], locale: str = "sv"
) -> User:
    errors = []
    email = email.strip().lower()
    if not EMAIL.match(email):
        errors.append(FieldError("email", _("Not a valid e-mail address.")))
    if not name.strip():
        errors.append(FieldError("name", _("This field is required.")))
    valid_roles = {r.value for r in Role}
    if not roles or any(r not in valid_roles for r in roles):
        errors.append(
            FieldError("roles", _("Roles must be among: %(roles)s", roles=", ".join(valid_roles)))
        )
    if locale not in ("sv", "en"):
        errors.append(FieldError("locale", _("Language must be sv or en.")))
    if errors:
        raise ValidationError(errors)
    with system(db.session):
        if db.session.scalar(select(User.id).where(User.email == email)):
            raise Conflict(_("A user with this e-mail address already exists."), "email")
        user = User(
            municipality_id=municipality.id,
            email=email,
            name=name.strip(),
            roles=" ".join(sorted(set(roles))),
            locale=locale,
        )
        db.session.add(user)
        db.session.commit()
    return user


def user_by_email(email: str) -> User:
    with system(db.session):
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(_("No user with e-mail %(email)s.", email=email), "email")
    return user


def users_of_municipality() -> list[User]:
    """The users of the bound municipality, active first, by name."""
    return list(db.session.scalars(select(User).order_by(User.active.desc(), User.name, User.id)))


def get_user(user_id: int) -> User:
    """A user of the bound municipality (404 for another municipality's)."""
    user = get_in_tenant(db.session, User, user_id)
    if user is None:
        raise NotFound(_("No such user in this municipality."), "id")
    return user


def update_user(user_id: int, raw: Mapping[str, Any], actor: User) -> User:
    """Change a user's name, roles, language or whether the account is active.

    An administrator cannot lock themselves out: their own admin role and
    account stay as they are.
    """
    user = get_user(user_id)
    data = Input(raw)
    name = data.text("name", required=True, max_length=200) if data.has("name") else user.name
    roles = user.roles.split()
    if data.has("roles"):
        raw_roles = data.data.get("roles")
        roles = [raw_roles] if isinstance(raw_roles, str) else list(raw_roles or [])
        valid = {r.value for r in Role}
        if not roles or any(r not in valid for r in roles):
            data.error("roles", _("Choose at least one role."))
    locale = data.text("locale", max_length=5) if data.has("locale") else user.locale
    if locale not in ("sv", "en"):
        data.error("locale", _("Language must be sv or en."))
    active = bool(data.data.get("active")) if data.has("active") else user.active
    if user.id == actor.id:
        if Role.ADMIN.value not in roles:
            data.error("roles", _("You cannot remove your own administrator role."))
        if not active:
            data.error("active", _("You cannot deactivate your own account."))
    data.raise_if_errors()
    user.name = name or user.name
    user.roles = " ".join(sorted(set(roles)))
    user.locale = locale or user.locale
    user.active = active
    db.session.commit()
    return user
