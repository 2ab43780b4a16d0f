"""Bench: a household import file through the service, and households registered one by one.

    .venv/bin/python bench/import_households.py [--households N] [--single M]
                                                [--database-url URL]

Creates a throw-away database (SQLite in a temporary directory unless --database-url is
given; that database is emptied first), writes a CSV of N open cases (two adults and 0-3
children each, the five workflows in turn, received in 2026 so that each brings its ledger)
and imports it with household_import.import_households: parsing, checking every cell and
number, planning the tasks and writing households, persons, tasks, expected payments and
history in one transaction. Then registers M households one at a time with
households.create_household (one transaction each, as the API and the web form do).
Prints the rates and the rows written.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bench import database
from reception.demo import identity_number
from reception.extensions import db
from reception.models import ChangeEvent, ExpectedPayment, Task
from reception.models.tenancy import tenant
from reception.services import households
from reception.services.household_import import import_households

WORKFLOWS = (
    "settlement-reception-centre",
    "settlement-resettled",
    "self-settled",
    "temporary-protection-housing",
    "temporary-protection-own-housing",
)
TODAY = date(2026, 12, 31)
HEADER = (
    "reference;workflow;assignment_date;reception_date;move_in_date;"
    "given_name;family_name;birth_date;personnummer;permit_date"
)


def _file(count: int, rng: random.Random) -> tuple[bytes, int]:
    lines = [HEADER]
    used: set[str] = set()
    for index in range(count):
        workflow = WORKFLOWS[index % len(WORKFLOWS)]
        assigned = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
        received = assigned + timedelta(days=rng.randrange(30))
        protected = workflow.startswith("temporary")
        reception = "" if protected else received.isoformat()
        move_in = received.isoformat() if workflow == "temporary-protection-housing" else ""
        births = [assigned - timedelta(days=rng.randrange(25 * 366, 50 * 365)) for _ in range(2)]
        births += [assigned - timedelta(days=rng.randrange(14 * 365)) for _ in range(index % 4)]
        for position, birth in enumerate(births):
            number = ""
            serial = index % 1000
            while position == 0 and (not number or number in used):
                number = identity_number(birth, serial)
                serial = (serial + 1) % 1000
            used.add(number)
            permit = max(birth, assigned - timedelta(days=30)).isoformat() if protected else ""
            lines.append(
                f"B {index};{workflow};{assigned};{reception};{move_in};"
                f"Namn{position};Familj{index};{birth};{number};{permit}"
            )
    return ("\n".join(lines) + "\n").encode(), len(lines) - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--single", type=int, default=500)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or database.sqlite_url()
    with database.fresh(url):
        municipality = database.municipality_with("admin")[0]
        rng = random.Random(2_000)
        content, rows = _file(args.households, rng)
        with tenant(db.session, municipality.id):
            started = time.perf_counter()
            result = import_households("bench.csv", content, None, TODAY)
            imported = time.perf_counter() - started
            tasks = db.session.scalar(select(func.count()).select_from(Task))
            ledger = db.session.scalar(select(func.count()).select_from(ExpectedPayment))
            events = db.session.scalar(select(func.count()).select_from(ChangeEvent))

            started = time.perf_counter()
            for index in range(args.single):
                households.create_household(
                    {
                        "reference": f"S {index}",
                        "workflow": "settlement-reception-centre",
                        "assignment_date": "2026-03-01",
                        "reception_date": "2026-03-20",
                        "members": [
                            {"given_name": "A", "family_name": "B", "birth_date": "1990-05-01"},
                            {"given_name": "C", "family_name": "B", "birth_date": "2015-05-01"},
                        ],
                    },
                    None,
                    TODAY,
                )
                db.session.expunge_all()  # as separate requests would
            single = time.perf_counter() - started
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
        print(
            f"import: {result.households} households, {rows} rows "
            f"({len(content) // 1024} KiB) in {imported:.2f} s = "
            f"{result.households / imported:.0f} households/s"
        )
        print(
            f"  written: {result.persons} persons, {tasks} tasks ({result.tasks} reported), "
            f"{ledger} expected payments, {events} history lines"
        )
        if args.single:
            print(
                f"create_household one at a time: {args.single} in {single:.2f} s = "
                f"{args.single / single:.0f} households/s"
            )
        if tasks != result.tasks or ledger != result.payments:
            sys.exit(1)


if __name__ == "__main__":
    main()
