"""The admin's page of another user shows and edits that user, not the admin."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from reception.extensions import db
from reception.models import Municipality, User
from reception.models.tenancy import tenant
from reception.services import accounts, passwords
from tests.web.helpers import sign_in, web_client


def _stored(user: User) -> tuple[str, str]:
    """The user's name and roles as the database holds them now."""
    db.session.expire_all()
    with tenant(db.session, user.municipality_id):
        name, roles = db.session.execute(
            select(User.name, User.roles).where(User.id == user.id)
        ).one()
    return name, roles


def test_the_user_page_shows_and_edits_the_user_clicked(
    app: Flask, municipality: Municipality
) -> None:
    admin = accounts.create_user(municipality, "admin@bracke.example", "Anna Admin", ["admin"])
    erik = accounts.create_user(municipality, "erik.sund@bracke.example", "Erik Sund", ["finance"])
    client = web_client(app)
    token = sign_in(client, admin)

    page = client.get(f"/admin/users/{erik.id}").get_data(as_text=True)
    heading = re.search(r"<h1>(.*?)</h1>", page, re.S)
    assert heading is not None and heading.group(1).strip() == "Erik Sund"
    assert "erik.sund@bracke.example" in page
    assert f'action="/admin/users/{erik.id}"' in page
    assert f'action="/admin/users/{erik.id}/password"' in page
    assert f'action="/admin/users/{admin.id}' not in page

    saved = client.post(
        f"/admin/users/{erik.id}",
        data={
            "csrf_token": token,
            "name": "Erik Sund",
            "roles": ["finance", "manager"],
            "locale": "en",
            "active": "y",
        },
    )
    assert saved.status_code == 303
    assert _stored(erik) == ("Erik Sund", "finance manager")
    assert _stored(admin) == ("Anna Admin", "admin")

    new_password = "ett nytt långt lösenord för Erik"
    changed = client.post(
        f"/admin/users/{erik.id}/password",
        data={"csrf_token": token, "password": new_password, "password_again": new_password},
    )
    assert changed.status_code == 303
    db.session.expire_all()  # the test's session still holds the hashes it read earlier
    with tenant(db.session, municipality.id):
        assert passwords.authenticate(erik.email, new_password) is not None
        assert passwords.authenticate(admin.email, new_password) is None
