"""Fixtures for the finance tests: a finance user with a token, and the acceptance family."""

from __future__ import annotations

import pytest
from flask import Flask

from reception.models import Municipality, User
from reception.services import accounts
from tests.conftest import ApiClient, token_for


@pytest.fixture()
def finance_user(municipality: Municipality) -> User:
    return accounts.create_user(municipality, "ekonom@bracke.example", "Eva Konom", ["finance"])


@pytest.fixture()
def finance(app: Flask, finance_user: User) -> ApiClient:
    return ApiClient(app.test_client(), token_for(finance_user))
