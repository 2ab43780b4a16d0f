"""Pages issue a fixed number of SQL queries, however many households or members there are."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import event

from reception.extensions import db
from reception.models import Household, Municipality, User
from reception.models.tenancy import tenant
from reception.services import households
from reception.timeutil import today
from tests.web.helpers import sign_in, web_client


@contextmanager
def count_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def before_cursor_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before_cursor_execute)


def add_households(
    municipality: Municipality, coordinator: User, start: int, n: int, members: int = 2
) -> list[Household]:
    day = today()
    created = []
    with tenant(db.session, municipality.id):
        for i in range(start, start + n):
            created.append(
                households.create_household(
                    {
                        "reference": f"KS 2026/{i:03d}",
                        "workflow": "settlement-reception-centre",
                        "assignment_date": (day - timedelta(days=40)).isoformat(),
                        "reception_date": (day - timedelta(days=10)).isoformat(),
                        "coordinator_id": coordinator.id,
                        "members": [
                            {
                                "given_name": f"Person{m}",
                                "family_name": f"Familj{i}",
                                "birth_date": f"{1960 + 8 * m}-0{1 + m % 9}-1{m % 9}",
                            }
                            for m in range(members)
                        ],
                    },
                    coordinator,
                    day,
                )
            )
    return created


def queries_for(client: Any, url: str) -> int:
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def test_pages_issue_a_bounded_number_of_queries(
    app: Flask, municipality: Municipality, coordinator: User
) -> None:
    client = web_client(app)
    sign_in(client, coordinator)
    first = add_households(municipality, coordinator, 0, 3)
    few = {url: queries_for(client, url) for url in ("/", "/households/")}
    few_page = queries_for(client, f"/households/{first[0].id}")

    add_households(municipality, coordinator, 3, 27)
    big = add_households(municipality, coordinator, 30, 1, members=6)[0]
    many = {url: queries_for(client, url) for url in ("/", "/households/")}
    assert "KS 2026/029" in client.get("/").get_data(as_text=True)  # the work list is full
    big_page = queries_for(client, f"/households/{big.id}")

    assert many == few, (few, many)
    assert big_page == few_page, (few_page, big_page)
    assert max(*many.values(), big_page) <= 15
    print(f"\nqueries: home {many['/']}, list {many['/households/']}, household {big_page}")
