"""Time the reminder sweep over 1 000 000 open tasks on SQLite and PostgreSQL.

    .venv/bin/python bench/sweep.py [--tasks 1000000] [--sqlite PATH] [--postgres URL]

The data is bulk-loaded with set-based INSERT … SELECT (no ORM): 10 municipalities,
50 coordinators and 2 managers each, 100 000 open households, tasks spread over due
dates from 30 days before the swept day to 335 days after it, so the first sweep has a
realistic backlog (overdue notices and escalations for the overdue tasks, reminders for
those due soon, digests). Printed: the first sweep (creates the backlog), the sweep of
the next day (the steady state), and a repeat of that day (nothing new: the cost of a
sweep that finds everything already created). PostgreSQL is skipped when it does not
answer. Not part of the test suite. The database given is wiped.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import text

from reception import create_app
from reception.extensions import db
from reception.reminders.sweep import SweepSettings, sweep

DAY = date(2026, 5, 4)
MUNICIPALITIES = 10
COORDINATORS = 50
HOUSEHOLDS = 100_000


def _series(dialect: str, count: int) -> str:
    if dialect == "postgresql":
        return f"(SELECT generate_series(1, {count}) AS n) AS seq"
    return (
        f"(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count}) "
        "SELECT n FROM s) AS seq"
    )


def _plus_days(dialect: str, base: date, days_sql: str) -> str:
    if dialect == "postgresql":
        return f"(DATE '{base.isoformat()}' + ({days_sql}))"
    return f"date('{base.isoformat()}', '+' || ({days_sql}) || ' days')"


def load(tasks: int) -> None:
    dialect = db.engine.dialect.name
    now = "CURRENT_TIMESTAMP"
    # Due dates scattered over the year, as tasks of many households are.
    spread = "(n * 7919) % 365" if dialect == "sqlite" else "(n::bigint * 7919 % 365)::int"
    statements = [
        f"INSERT INTO municipality (id, code, name) SELECT n, printf('%04d', n), 'Kommun ' || n "
        f"FROM {_series(dialect, MUNICIPALITIES)}"
        if dialect == "sqlite"
        else f"INSERT INTO municipality (id, code, name) SELECT n, lpad(n::text, 4, '0'), "
        f"'Kommun ' || n FROM {_series(dialect, MUNICIPALITIES)}",
        # Users 1..500 are coordinators (municipality = (id - 1) % 10 + 1), 501..520 managers.
        "INSERT INTO user_account (id, email, name, roles, locale, active, digest_enabled, "
        "created_at, municipality_id) SELECT n, 'user' || n || '@example.se', 'User ' || n, "
        f"CASE WHEN n <= {MUNICIPALITIES * COORDINATORS} THEN 'coordinator' ELSE 'manager' END, "
        f"'sv', true, true, {now}, (n - 1) % {MUNICIPALITIES} + 1 "
        f"FROM {_series(dialect, MUNICIPALITIES * (COORDINATORS + 2))}",
        "INSERT INTO household (id, reference, workflow_key, workflow_version, assignment_date, "
        "latest_reception_date, reception_date, coordinator_id, status, created_at, updated_at, "
        "municipality_id) SELECT n, 'KS ' || n, 'settlement-reception-centre', 1, "
        f"{_plus_days(dialect, DAY - timedelta(days=200), 'n % 150')}, "
        f"{_plus_days(dialect, DAY - timedelta(days=140), 'n % 150')}, "
        f"{_plus_days(dialect, DAY - timedelta(days=180), 'n % 150')}, "
        f"(n - 1) % {MUNICIPALITIES * COORDINATORS} + 1, 'open', {now}, {now}, "
        f"(n - 1) % {MUNICIPALITIES} + 1 FROM {_series(dialect, HOUSEHOLDS)}",
        "INSERT INTO task (id, household_id, key, title_sv, title_en, due_date, status, "
        "reminder_days, created_at, updated_at, municipality_id) "
        f"SELECT n, (n - 1) % {HOUSEHOLDS} + 1, 'task_' || ((n - 1) / {HOUSEHOLDS}), "
        "'Uppgift', 'Task', "
        f"{_plus_days(dialect, DAY - timedelta(days=30), spread)}, 'open', "
        f"CASE WHEN n % 5 = 0 THEN 14 ELSE 3 END, {now}, {now}, "
        f"((n - 1) % {HOUSEHOLDS}) % {MUNICIPALITIES} + 1 FROM {_series(dialect, tasks)}",
    ]
    for statement in statements:
        db.session.execute(text(statement))
    db.session.commit()
    if dialect == "postgresql":
        # As autovacuum would leave a table in service: visibility map and hint bits set.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def reset(url: str) -> None:
    if url.startswith("postgresql"):
        db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.session.commit()
    upgrade()


def timed(day: date) -> tuple[float, int]:
    start = time.perf_counter()
    result = sweep(db.session, day, SweepSettings(escalation_business_days=5))
    return time.perf_counter() - start, result.total


def run(label: str, url: str, tasks: int) -> None:
    os.environ.setdefault("SECRET_KEY", "bench")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        reset(url)
        start = time.perf_counter()
        load(tasks)
        print(f"{label}: loaded {tasks:,} open tasks in {time.perf_counter() - start:.1f} s")
        for name, day in (("first sweep", DAY), ("next day", DAY + timedelta(days=1))):
            seconds, created = timed(day)
            print(f"{label}: {name:<12} {seconds:6.2f} s  ({created:,} notifications created)")
        seconds, created = timed(DAY + timedelta(days=1))
        print(
            f"{label}: {'same day again':<12} {seconds:6.2f} s  ({created:,} notifications created)"
        )
        db.session.remove()
        db.engine.dispose()


def postgres_answers(url: str) -> bool:
    from sqlalchemy import create_engine

    try:
        with create_engine(url).connect():
            return True
    except Exception:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--sqlite", default=str(Path(tempfile.gettempdir()) / "mtg_bench.db"))
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/mtg_rem_bench"
        ),
    )
    args = parser.parse_args()
    for suffix in ("", "-wal", "-shm"):
        Path(args.sqlite + suffix).unlink(missing_ok=True)
    if args.only != "postgres":
        run("SQLite    ", f"sqlite:///{args.sqlite}", args.tasks)
    if args.only == "sqlite":
        return
    if postgres_answers(args.postgres):
        run("PostgreSQL", args.postgres, args.tasks)
    else:
        print("PostgreSQL: not reachable, skipped")


if __name__ == "__main__":
    main()
