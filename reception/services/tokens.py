"""API tokens: made by the CLI (later by users themselves), stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from reception.extensions import db
from reception.models import ApiToken, User
from reception.models.tenancy import system
from reception.timeutil import utcnow

TOKEN_PREFIX = "mtg_"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; the plain text is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        municipality_id=user.municipality_id,
        user_id=user.id,
        name=name,
        token_hash=_hash(raw),
        prefix=raw[:12],
    )
    db.session.add(token)
    db.session.commit()
    return token, raw


def user_for_token(raw: str) -> User | None:
    """The active user holding this unrevoked token, or None.

    Looked up across municipalities: the token is what tells which one is asking.
    """
    with system(db.session):
        token = db.session.scalar(
            select(ApiToken).where(ApiToken.token_hash == _hash(raw), ApiToken.revoked_at.is_(None))
        )
        if token is None or not token.user.active:
            return None
        token.last_used_at = utcnow()
        db.session.commit()
        return token.user


def revoke(token: ApiToken) -> None:
    token.revoked_at = utcnow()
    db.session.commit()


def tokens_of(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at)
        )
    )
