"""Password hashing (argon2id) and checking a sign-in without telling which part was wrong."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from reception.extensions import db
from reception.models import User
from reception.models.tenancy import system
from reception.services.errors import FieldError, ValidationError
from reception.timeutil import utcnow

MIN_LENGTH = 12
MAX_LENGTH = 1000  # argon2 copes, but there is no reason to hash megabytes on request


@cache
def _hashers() -> dict[bool, tuple[PasswordHasher, str]]:
    """(hasher, dummy hash) for production (RFC 9106 low-memory) and for the test suite.

    The dummy hash is verified when the e-mail is unknown, so that a wrong address
    takes as long as a wrong password.
    """
    result = {}
    for fast, hasher in (
        (False, PasswordHasher()),
        (True, PasswordHasher.from_parameters(profiles.CHEAPEST)),
    ):
        result[fast] = (hasher, hasher.hash("not a real password, only spends the same time"))
    return result


def _hasher() -> tuple[PasswordHasher, str]:
    # Tests hash hundreds of passwords; half a second each would dominate the suite.
    return _hashers()[bool(current_app.config.get("TESTING"))]


def check_strength(password: str, field: str = "password") -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationError([FieldError(field, _("At least %(n)d characters.", n=MIN_LENGTH))])
    if len(password) > MAX_LENGTH:
        raise ValidationError([FieldError(field, _("At most %(n)d characters.", n=MAX_LENGTH))])


def set_password(user: User, password: str) -> None:
    """Hash and store a new password; sessions signed in with the old one end."""
    check_strength(password)
    user.password_hash = _hasher()[0].hash(password)
    db.session.commit()


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None whatever was wrong."""
    hasher, dummy = _hasher()
    with system(db.session):
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None or not user.password_hash or len(password) > MAX_LENGTH:
            _verify(hasher, dummy, password[:MAX_LENGTH])
            return None
        if not _verify(hasher, user.password_hash, password) or not user.active:
            return None
        if hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
        user.last_login_at = utcnow()
        db.session.commit()
        return user


def _verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
