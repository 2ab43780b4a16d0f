"""Signing in through the real login form, CSRF token included."""

from __future__ import annotations

import re
from html.parser import HTMLParser
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


class _FormReader(HTMLParser):
    """The values a browser would send for one form: inputs, selected options, textareas."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.found = False
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = self.found = True
        if not self.inside or ("name" not in a and tag != "option"):
            return
        if tag == "input" and a.get("type") not in ("checkbox", "radio", "submit"):
            self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
            self.values.setdefault(a["name"], "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.values[a["name"]] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_values(html: str, form_id: str) -> dict[str, str]:
    """What submitting the form with this id as rendered would post."""
    reader = _FormReader(form_id)
    reader.feed(html)
    assert reader.found, f"no form with id {form_id}"
    return reader.values
