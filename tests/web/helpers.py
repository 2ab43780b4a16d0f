"""Signing in through the real login form, CSRF token included."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from reception.extensions import db
from reception.models import User
from reception.models.tenancy import tenant
from reception.services import passwords

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class WebClient(FlaskClient):
    """A test client whose every request gets its own application context, as in production.

    The fixtures hold an app context for the whole test; without this, requests would
    share its `g` (and its cached CSRF token and user) and its database session.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


def web_client(app: Flask) -> WebClient:
    return WebClient(app, app.response_class, use_cookies=True)


def give_password(user: User, password: str = PASSWORD) -> None:
    with tenant(db.session, user.municipality_id):
        passwords.set_password(user, password)


def csrf_token(client: FlaskClient, url: str = "/login") -> str:
    match = _TOKEN.search(client.get(url).get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def sign_in(client: FlaskClient, user: User, password: str = PASSWORD) -> str:
    """Sign `user` in; returns the session's CSRF token for later forms."""
    if not user.password_hash:
        give_password(user, password)
    token = csrf_token(client)
    response = client.post(
        "/login", data={"email": user.email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    # Signing in starts a new session, with a new token; every role may see this page.
    return csrf_token(client, "/households/")
