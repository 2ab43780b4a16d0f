"""Shared fixtures: one app and schema per test session, emptied between tests.

Set TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/mtg_test)
to run the whole suite against PostgreSQL; the default is a SQLite file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from reception import create_app
from reception.extensions import db
from reception.models import Municipality, User
from reception.models.tenancy import system, tenant
from reception.services import accounts, tokens

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    url = TEST_DATABASE_URL or f"sqlite:///{instance / 'test.db'}"
    os.environ.setdefault("SECRET_KEY", "test-secret")
    application = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with application.app_context():
        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


def _empty_tables() -> None:
    tables = reversed(db.metadata.sorted_tables)
    with db.engine.begin() as connection:
        for table in tables:
            connection.execute(table.delete())


@pytest.fixture()
def app_ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()


@pytest.fixture()
def municipality(app_ctx: Flask) -> Municipality:
    with system(db.session):
        return accounts.create_municipality("2260", "Bräcke kommun")


@pytest.fixture()
def other_municipality(app_ctx: Flask) -> Municipality:
    with system(db.session):
        return accounts.create_municipality("2303", "Ragunda kommun")


@pytest.fixture()
def coordinator(municipality: Municipality) -> User:
    return accounts.create_user(
        municipality, "samordnare@bracke.example", "Sam Ordnare", ["coordinator"]
    )


@pytest.fixture()
def in_tenant(municipality: Municipality) -> Iterator[Municipality]:
    """Bind the test's session to the municipality, as a request would."""
    with tenant(db.session, municipality.id):
        yield municipality


class ApiClient:
    """A test client that sends a bearer token and JSON."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(
        self, extra: dict[str, str] | None = None, if_match: str | int | None = None
    ) -> dict[str, str]:
        headers = {"Accept-Language": "en"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if if_match is not None:
            headers["If-Match"] = str(if_match)
        headers.update(extra or {})
        return headers

    def etag(self, url: str) -> str:
        """The ETag of the resource at url, read as a client does before changing it."""
        response = self.get(url)
        assert response.status_code == 200, response.get_json()
        return response.headers["ETag"]

    def get(self, url: str, **kwargs: Any):
        return self.client.get(url, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, url: str, json: Any = None, *, if_match: str | int | None = None, **kwargs: Any):
        headers = self._headers(kwargs.pop("headers", None), if_match)
        return self.client.post(url, json=json, headers=headers, **kwargs)

    def patch(
        self, url: str, json: Any = None, *, if_match: str | int | None = None, **kwargs: Any
    ):
        headers = self._headers(kwargs.pop("headers", None), if_match)
        return self.client.patch(url, json=json, headers=headers, **kwargs)

    def put(self, url: str, json: Any = None, *, if_match: str | int | None = None, **kwargs: Any):
        headers = self._headers(kwargs.pop("headers", None), if_match)
        return self.client.put(url, json=json, headers=headers, **kwargs)

    def delete(self, url: str, *, if_match: str | int | None = None, **kwargs: Any):
        headers = self._headers(kwargs.pop("headers", None), if_match)
        return self.client.delete(url, headers=headers, **kwargs)


def token_for(user: User) -> str:
    with tenant(db.session, user.municipality_id):
        _token, raw = tokens.create_token(user, "tests")
    return raw


@pytest.fixture()
def api(app: Flask, coordinator: User) -> ApiClient:
    return ApiClient(app.test_client(), token_for(coordinator))


@pytest.fixture()
def frozen_today() -> Iterator[date]:
    """Pin "today" to 2026-05-01 (a Friday; also May Day, a holiday)."""
    with time_machine.travel("2026-05-01 09:00 +02:00", tick=False):
        yield date(2026, 5, 1)
