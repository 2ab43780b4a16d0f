"""The acceptance family and a helper to register households through the API."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient


def family(**overrides: Any) -> dict[str, Any]:
    """Two adults (35 and 33) and two children (12 and 4) on the reception date 2026-04-20."""
    body = {
        "reference": "KS 2026/042",
        "workflow": "settlement-reception-centre",
        "assignment_date": "2026-03-10",
        "reception_date": "2026-04-20",
        "members": [
            {
                "given_name": "Rania",
                "family_name": "Al-Hassan",
                "birth_date": "1991-01-15",
                "personnummer": "19910115-1000",
            },
            {"given_name": "Omar", "family_name": "Al-Hassan", "birth_date": "1993-03-02"},
            {"given_name": "Lina", "family_name": "Al-Hassan", "birth_date": "2014-02-10"},
            {"given_name": "Yusuf", "family_name": "Al-Hassan", "birth_date": "2021-09-30"},
        ],
    }
    body.update(overrides)
    return body


def create(api: ApiClient, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/api/v1/households", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()
