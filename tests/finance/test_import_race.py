"""Two people importing the same payment file at the same moment, on PostgreSQL."""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text

from reception.extensions import db
from reception.models import PaymentImport, ReceivedPayment, User
from reception.models.tenancy import system
from tests.conftest import TEST_DATABASE_URL, ApiClient, token_for

pytestmark = pytest.mark.postgres

HEADER = "Utbetalningsdatum;Belopp;Ersättningstyp;Personnummer;Ärende;Period;Referens\n"
ROWS = 300


def _file() -> bytes:
    lines = [
        f"2026-04-28;{1000 + n};etableringsschablon;19800101-1231;;2026-04;Rad {n}\n"
        for n in range(ROWS)
    ]
    return (HEADER + "".join(lines)).encode()


def _post(app: Flask, token: str, name: str, content: bytes, barrier: threading.Barrier) -> Any:
    with app.app_context():
        api = ApiClient(app.test_client(), token)
        barrier.wait(timeout=10)
        response = api.client.post(
            "/api/v1/reimbursements/imports",
            data={"file": (io.BytesIO(content), name)},
            headers=api._headers(),
            content_type="multipart/form-data",
        )
        db.session.remove()
        return response.status_code, response.get_json()


def _wait_for_lock_waiters(count: int) -> None:
    """Until `count` sessions wait for a lock (both importers reached the INSERT)."""
    engine = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for _ in range(200):
                waiting = connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = current_database()"
                    )
                )
                if waiting >= count:
                    return
                time.sleep(0.05)
        raise AssertionError(f"only {waiting} of {count} importers reached the INSERT")
    finally:
        engine.dispose()


def test_the_same_file_imported_twice_at_once_is_stored_once(
    app: Flask, finance_user: User
) -> None:
    token = token_for(finance_user)
    content = _file()
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    # Hold back every INSERT into payment_import (reads still pass) until both importers
    # have checked that the file is new and wait at the INSERT: the race, every time.
    blocker = create_engine(TEST_DATABASE_URL)
    with blocker.connect() as holding:
        holding.execute(text("LOCK TABLE payment_import IN EXCLUSIVE MODE"))
        threads = [
            threading.Thread(
                target=lambda n=name: results.__setitem__(n, _post(app, token, n, content, barrier))
            )
            for name in ("januari.csv", "kopia.csv")
        ]
        for thread in threads:
            thread.start()
        try:
            _wait_for_lock_waiters(2)
        finally:
            holding.commit()
    blocker.dispose()
    for thread in threads:
        thread.join(timeout=30)

    statuses = sorted(status for status, _body in results.values())
    assert statuses == [201, 409], results
    (winner,) = [name for name, (status, _b) in results.items() if status == 201]
    (refused,) = [body for status, body in results.values() if status == 409]
    assert refused["field"] == "file"
    assert winner in refused["error"]
    with system(db.session):
        imports = db.session.scalars(select(PaymentImport)).all()
        payments = db.session.scalar(select(func.count()).select_from(ReceivedPayment))
    assert [i.filename for i in imports] == [winner]
    assert payments == ROWS
