"""People who use Mottagning and the API tokens they hold."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reception.extensions import db
from reception.models.municipality import Municipality
from reception.models.tenancy import TenantScoped
from reception.timeutil import utcnow


class Role(StrEnum):
    COORDINATOR = "coordinator"
    MANAGER = "manager"
    FINANCE = "finance"
    ADMIN = "admin"


class User(TenantScoped, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Space-separated Role values; a user may hold several.
    roles: Mapped[str] = mapped_column(String(100), default=Role.COORDINATOR.value)
    locale: Mapped[str] = mapped_column(String(5), default="sv")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # The daily digest e-mail; reminders and alerts are sent regardless.
    digest_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    # SHA-256 of the secret in the user's calendar-feed URL; None when no feed exists.
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    municipality: Mapped[Municipality] = relationship(lazy="joined")

    # Flask-Login's user protocol.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """The id kept in the session cookie; it changes with the password.

        A new password thereby ends every session opened with the old one.
        """
        fingerprint = hashlib.sha256((self.password_hash or "").encode("utf-8")).hexdigest()
        return f"{self.id}:{fingerprint[:16]}"

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(r) for r in self.roles.split())

    def has_role(self, *roles: Role | str) -> bool:
        return any(Role(r) in self.role_set for r in roles)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class ApiToken(TenantScoped, db.Model):
    """A bearer token for /api/v1; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, shown in listings so a token can be recognised and revoked.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(lazy="joined")
