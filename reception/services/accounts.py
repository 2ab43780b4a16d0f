"""Municipalities and users (for the CLI now; admin pages build on the same calls)."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from reception.extensions import db
from reception.models import Municipality, Role, User
from reception.models.tenancy import system
from reception.services.errors import Conflict, FieldError, NotFound, ValidationError

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
