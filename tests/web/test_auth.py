"""Signing in and out, CSRF, idle timeout, language, and the password command."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from flask import Flask
from sqlalchemy import select

from reception.extensions import db
from reception.models import Municipality, User
from reception.models.tenancy import system, tenant
from reception.services import accounts, passwords
from tests.web.helpers import PASSWORD, csrf_token, give_password, sign_in, web_client

WRONG = "The e-mail address or the password is not correct."


def _login(client, email: str, password: str, **extra):
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client), **extra},
        headers={"Accept-Language": "en"},
    )


def test_anonymous_is_sent_to_sign_in_with_next(app: Flask, coordinator: User) -> None:
    response = web_client(app).get("/households/?q=x")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/households/?q%3Dx"


def test_wrong_password_and_unknown_address_answer_alike(app: Flask, coordinator: User) -> None:
    give_password(coordinator)
    client = web_client(app)
    wrong_password = _login(client, coordinator.email, "not the password")
    unknown = _login(client, "nobody@bracke.example", PASSWORD)
    for response in (wrong_password, unknown):
        assert response.status_code == 200
        assert WRONG in response.get_data(as_text=True)
    assert client.get("/households/").status_code == 302  # still signed out


def test_sign_in_follows_a_local_next_only(app: Flask, coordinator: User) -> None:
    give_password(coordinator)
    client = web_client(app)
    response = _login(client, coordinator.email, PASSWORD, next="/households/?status=all")
    assert response.status_code == 303
    assert response.headers["Location"] == "/households/?status=all"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/households/")})
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"):
        response = _login(client, coordinator.email, PASSWORD, next=evil)
        assert response.headers["Location"] == "/", evil
        client.post("/logout", data={"csrf_token": csrf_token(client, "/households/")})


def test_inactive_user_cannot_sign_in_and_is_signed_out(app: Flask, coordinator: User) -> None:
    client = web_client(app)
    sign_in(client, coordinator)
    with tenant(db.session, coordinator.municipality_id):
        coordinator.active = False
        db.session.commit()
    assert client.get("/households/").status_code == 302
    assert WRONG in _login(client, coordinator.email, PASSWORD).get_data(as_text=True)


def test_new_password_ends_other_sessions(app: Flask, coordinator: User) -> None:
    client = web_client(app)
    sign_in(client, coordinator)
    assert client.get("/households/").status_code == 200
    give_password(coordinator, "a brand new passphrase")
    assert client.get("/households/").status_code == 302


def test_passwords_are_argon2_and_short_ones_refused(app_ctx: Flask, coordinator: User) -> None:
    give_password(coordinator)
    assert coordinator.password_hash.startswith("$argon2id$")
    with tenant(db.session, coordinator.municipality_id):
        try:
            passwords.set_password(coordinator, "short")
        except passwords.ValidationError as exc:
            assert exc.field == "password"
        else:
            raise AssertionError("a short password was accepted")


def test_forms_without_csrf_token_are_refused(app: Flask, coordinator: User) -> None:
    give_password(coordinator)
    client = web_client(app)
    response = client.post("/login", data={"email": coordinator.email, "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"].startswith("/")
    assert client.get("/households/").status_code == 302  # not signed in
    token = sign_in(client, coordinator)
    assert client.post("/logout").status_code == 303
    assert client.get("/households/").status_code == 200  # the forged logout did nothing
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/households/").status_code == 302


def test_idle_timeout_signs_out_and_activity_keeps_the_session(
    app: Flask, coordinator: User
) -> None:
    client = web_client(app)
    with time_machine.travel("2026-05-04 09:00 +02:00", tick=False) as traveller:
        sign_in(client, coordinator)
        for _ in range(3):  # active every 20 minutes for an hour
            traveller.shift(timedelta(minutes=20))
            assert client.get("/households/").status_code == 200
        traveller.shift(timedelta(minutes=31))
        response = client.get("/households/")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=/households/")
        assert client.get("/households/").status_code == 302


def test_language_switch_for_anonymous_and_signed_in(app: Flask, coordinator: User) -> None:
    client = web_client(app)
    assert 'lang="sv"' in client.get("/login").get_data(as_text=True)
    client.post("/language", data={"language": "en", "csrf_token": csrf_token(client)})
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)
    token = sign_in(client, coordinator)
    response = client.post(
        "/language", data={"language": "sv", "next": "/households/", "csrf_token": token}
    )
    assert response.headers["Location"] == "/households/"
    with system(db.session):
        assert db.session.scalar(select(User.locale).where(User.id == coordinator.id)) == "sv"
    assert 'lang="sv"' in client.get("/households/").get_data(as_text=True)


def test_cli_sets_a_password_from_stdin(app: Flask, municipality: Municipality) -> None:
    user = accounts.create_user(municipality, "ny@bracke.example", "Ny Användare", ["finance"])
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "set-password", "--email", user.email, "--password-stdin"],
        input="en lång lösenfras\n",
    )
    assert result.exit_code == 0, result.output
    assert passwords.authenticate(user.email, "en lång lösenfras") is not None
    short = runner.invoke(
        args=["users", "set-password", "--email", user.email, "--password-stdin"], input="kort\n"
    )
    assert short.exit_code != 0 and "12" in short.output


def test_demo_prints_how_to_sign_in(app: Flask, app_ctx: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "mottagning-demo" in result.output
    client = web_client(app)
    response = _login(client, "karin.holm@bracke.example", "mottagning-demo")
    assert response.status_code == 303


def test_the_menu_starts_with_the_page_each_role_lands_on(
    app: Flask, municipality: Municipality, coordinator: User
) -> None:
    manager = accounts.create_user(municipality, "chef@bracke.example", "Chef", ["manager"])
    finance = accounts.create_user(municipality, "ekonom@bracke.example", "Ekonom", ["finance"])
    menu = re.compile(r'class="site-nav__link" href="([^"]+)"')
    for user, landing, first in (
        (coordinator, "/", "/tasks"),
        (manager, "/manager/", "/manager/"),
        (finance, "/finance/", "/finance/"),
    ):
        client = web_client(app)
        sign_in(client, user)
        page = client.get("/", follow_redirects=True)
        assert page.request.path == landing
        links = menu.findall(page.get_data(as_text=True))
        assert links[0] == first, (user.email, links)
