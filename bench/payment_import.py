"""Bench: payment specification imports of 1 000, 16 000 and 50 000 rows, and their withdrawal.

    .venv/bin/python bench/payment_import.py [--rows 1000,16000,50000] [--database-url URL]

Runs on SQLite (a temporary file) and, when it answers, on PostgreSQL (--database-url,
default $BENCH_DATABASE_URL or postgresql+psycopg://postgres@127.0.0.1:5432/mtg_bench_run;
that database is wiped). 5 000 households of 3 people with personnummer are bulk-loaded
first; the file's rows are paid to those people (70 %), to a case reference (15 %), to
someone unknown (10 %) or to the municipality (5 %), so the matching does real work.
Each file is imported through services.payments.import_file (one transaction, all rows or
none) and then withdrawn; rows/s is printed for both. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from bench import database
from reception.demo import identity_number
from reception.extensions import db
from reception.models import Household, Person, ReceivedPayment
from reception.models.tenancy import tenant
from reception.services import payments

HOUSEHOLDS = 5_000
PEOPLE_PER_HOUSEHOLD = 3
TODAY = date(2026, 5, 4)
HEADER = "Utbetalningsdatum;Belopp;Ersättningstyp;Personnummer;Ärende;Period;Referens\n"


def _birth(index: int) -> date:
    return date(1960, 1, 1) + timedelta(days=index % 15_000)


def _number(index: int) -> str:
    # Unique: the birth date repeats only every 15 000 people, with another serial.
    return identity_number(_birth(index), index // 15_000 + 1)


def seed(municipality_id: int) -> None:
    db.session.execute(
        insert(Household),
        [
            {
                "id": n + 1,
                "municipality_id": municipality_id,
                "reference": f"KS {n + 1}",
                "workflow_key": "settlement-reception-centre",
                "workflow_version": 1,
                "assignment_date": date(2026, 1, 1),
                "latest_reception_date": date(2026, 3, 1),
                "reception_date": date(2026, 2, 1),
                "status": "open",
            }
            for n in range(HOUSEHOLDS)
        ],
    )
    db.session.execute(
        insert(Person),
        [
            {
                "id": n + 1,
                "municipality_id": municipality_id,
                "household_id": n // PEOPLE_PER_HOUSEHOLD + 1,
                "given_name": "Namn",
                "family_name": str(n),
                "birth_date": _birth(n),
                "personnummer": _number(n),
            }
            for n in range(HOUSEHOLDS * PEOPLE_PER_HOUSEHOLD)
        ],
    )
    database.follow_sequences("household", "person")
    database.analyze()


def payment_file(rows: int, salt: int) -> bytes:
    people = HOUSEHOLDS * PEOPLE_PER_HOUSEHOLD
    lines = [HEADER]
    for n in range(rows):
        month = f"2026-{n % 4 + 1:02d}"
        amount = 1000 + (n * 37 + salt) % 40_000
        share = n % 20
        if share < 14:
            owner = f"Etableringsschablon;{_number(n * 7 % people)};"
        elif share < 17:
            owner = f"etableringsschablon;;KS {n % HOUSEHOLDS + 1}"
        elif share < 19:
            owner = f"initiala kostnader;{identity_number(date(1950, 1, 1), n % 999 + 1)};"
        else:
            owner, month = "fördelningstal;;", "2026-01"
        lines.append(f"2026-04-28;{amount};{owner};{month};Utbetalning {salt}-{n}\n")
    return "".join(lines).encode("utf-8")


def run(url: str, sizes: list[int]) -> None:
    name = database.label(url)
    with database.fresh(url):
        municipality, finance = database.municipality_with("finance")
        with tenant(db.session, municipality.id):
            seed(municipality.id)
            for salt, rows in enumerate(sizes):
                content = payment_file(rows, salt)
                started = time.perf_counter()
                batch = payments.import_file(f"spec-{rows}.csv", content, finance, TODAY)
                imported = time.perf_counter() - started
                stored = db.session.scalar(
                    select(func.count()).where(ReceivedPayment.import_id == batch.id)
                )
                assert stored == rows, (stored, rows)
                started = time.perf_counter()
                payments.withdraw_import(batch.id, finance)
                withdrawn = time.perf_counter() - started
                left = db.session.scalar(select(func.count()).select_from(ReceivedPayment))
                assert left == 0, left
                print(
                    f"{name:<10} {rows:>7,} rows  import {imported:7.2f} s "
                    f"({rows / imported:>8,.0f} rows/s)  withdraw {withdrawn:6.2f} s "
                    f"({rows / withdrawn:>9,.0f} rows/s)",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000,16000,50000")
    parser.add_argument("--database-url", default=database.DEFAULT_POSTGRES)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    sizes = [int(n) for n in args.rows.split(",")]
    if args.only != "postgres":
        run(database.sqlite_url(), sizes)
    if args.only == "sqlite":
        return
    if database.postgres_answers(args.database_url):
        run(args.database_url, sizes)
    else:
        print("PostgreSQL: not reachable, skipped")


if __name__ == "__main__":
    main()
