"""Bench: households registered through the service layer, one household per transaction.

    .venv/bin/python bench/create_households.py [--households N] [--database-url URL]

Creates a throw-away database (SQLite in a temporary directory unless --database-url is
given; that database is emptied first), registers N reception-centre households (one or
two adults and up to three children, received in the last months) with
households.create_household, then completes the Skatteverket visit of 100 of them with
tasks.complete (which moves the dependent due dates). A warm-up of --warmup households
comes first, then ANALYZE, as autovacuum keeps a database in use: planned on empty tables,
the per-household reads scan the whole municipality. Prints households per second, the
SQL statements per create_household and per completion (counted with a SQLAlchemy
event listener on the engine), and the rows written per household. Not part of the test
suite.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, func, select, text

from bench import database
from reception.extensions import db
from reception.models import ChangeEvent, ExpectedPayment, Person, Task
from reception.models.tenancy import tenant
from reception.services import households, tasks

TODAY = date(2026, 11, 2)
COMPLETIONS = 100


def _body(index: int, rng: random.Random) -> dict[str, Any]:
    received = TODAY - timedelta(days=rng.randrange(10, 120))
    births = [received - timedelta(days=rng.randrange(25 * 366, 50 * 365))]
    births *= rng.randrange(1, 3)
    births += [received - timedelta(days=rng.randrange(14 * 365)) for _ in range(rng.randrange(4))]
    return {
        "reference": f"B {index}",
        "workflow": "settlement-reception-centre",
        "assignment_date": (received - timedelta(days=30)).isoformat(),
        "reception_date": received.isoformat(),
        "members": [
            {"given_name": "A", "family_name": str(n), "birth_date": b.isoformat()}
            for n, b in enumerate(births)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=2_000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--no-synchronous-commit",
        action="store_true",
        help="PostgreSQL: commit without waiting for the WAL flush (measures the write path "
        "without the disk's fsync, which alone costs milliseconds on a slow disk)",
    )
    args = parser.parse_args()
    url = args.database_url or database.sqlite_url()
    config: dict[str, Any] = {}
    if args.no_synchronous_commit:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            "connect_args": {"options": "-c synchronous_commit=off"},
        }
    statements = [0]

    def count(*_args: Any) -> None:
        statements[0] += 1

    with database.fresh(url, config):
        municipality_id = database.municipality_with("coordinator")[0].id
        rng = random.Random(300)
        bodies = [_body(i, rng) for i in range(args.households)]
        with tenant(db.session, municipality_id):
            for index in range(args.warmup):
                households.create_household(
                    {**_body(index, rng), "reference": f"W {index}"}, None, TODAY
                )
                db.session.expunge_all()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        event.listen(db.engine, "before_cursor_execute", count)
        with tenant(db.session, municipality_id):
            created: list[int] = []
            started, cpu = time.perf_counter(), time.process_time()
            for body in bodies:
                created.append(households.create_household(body, None, TODAY).id)
                db.session.expunge_all()  # as separate requests would
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            create_statements = statements[0]

            visits = db.session.scalars(
                select(Task.id)
                .where(Task.key == "skatteverket_visit", Task.household_id.in_(created))
                .order_by(Task.id)
                .limit(COMPLETIONS)
            ).all()
            db.session.commit()
            statements[0] = 0
            started = time.perf_counter()
            for task_id in visits:
                tasks.complete(task_id, {}, None, TODAY)
                db.session.expunge_all()
            completing = time.perf_counter() - started
            complete_statements = statements[0]
            event.remove(db.engine, "before_cursor_execute", count)

            def per_household(model: Any) -> float:
                stored = db.session.scalar(select(func.count()).select_from(model)) or 0
                return stored / (args.warmup + len(created))

            print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
            if url.startswith("postgresql"):
                sync = db.session.scalar(text("SHOW synchronous_commit"))
                print(f"synchronous_commit: {sync}")
            print(
                f"create_household: {len(created)} in {elapsed:.2f} s = "
                f"{len(created) / elapsed:.0f} households/s, "
                f"{create_statements / len(created):.1f} statements and "
                f"{cpu / len(created) * 1000:.2f} ms of this process's CPU each"
            )
            print(
                f"tasks.complete: {len(visits)} in {completing:.2f} s = "
                f"{completing / len(visits) * 1000:.1f} ms, "
                f"{complete_statements / len(visits):.1f} statements each"
            )
            print(
                f"per household: {per_household(Task):.1f} tasks, "
                f"{per_household(Person):.1f} persons, "
                f"{per_household(ExpectedPayment):.1f} ledger rows, "
                f"{per_household(ChangeEvent):.1f} history rows"
            )


if __name__ == "__main__":
    main()
