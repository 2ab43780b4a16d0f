"""Bench: 10 000 households' expected payments through the service layer, totals exact.

    .venv/bin/python bench/reimbursements_10k.py [--households N] [--database-url URL]

Creates a throw-away database (SQLite in a temporary directory unless --database-url is
given; that database is emptied first), registers N households received in 2026 with two
adults and 0-4 children, builds their ledger with reimbursements.refresh (the same call
checklist.recompute makes), then sums the forecast and compares it with the hand-computed
total: adult 165 000 + 20 661 kr, child 165 000 + 10 330 kr. Prints the timings.
"""

from __future__ import annotations

import argparse
import os
import random
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
from reception.models import Household, Person
from reception.models.tenancy import system, tenant
from reception.services import accounts, reimbursements

ADULT = 165000 + 20661
CHILD = 165000 + 10330


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="mtg-bench-")
    url = args.database_url or f"sqlite:///{workdir}/bench.db"
    os.environ.setdefault("SECRET_KEY", "bench")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        with system(db.session):
            municipality = accounts.create_municipality("9999", "Benchkommun")
        rng = random.Random(10_000)
        adults = children = 0
        started = time.perf_counter()
        with tenant(db.session, municipality.id):
            for index in range(args.households):
                received = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
                births = [
                    received - timedelta(days=rng.randrange(25 * 366, 50 * 365)) for _ in range(2)
                ]
                births += [
                    received - timedelta(days=rng.randrange(14 * 365))
                    for _ in range(rng.randrange(5))
                ]
                adults += 2
                children += len(births) - 2
                household = Household(
                    reference=f"B {index}",
                    workflow_key="settlement-reception-centre",
                    workflow_version=1,
                    assignment_date=received - timedelta(days=30),
                    latest_reception_date=received,
                    reception_date=received,
                    members=[
                        Person(given_name="A", family_name=str(n), birth_date=b)
                        for n, b in enumerate(births)
                    ],
                )
                db.session.add(household)
                db.session.flush()
                reimbursements.refresh(household, "bench", None)
                if index % 200 == 199:
                    # As separate requests would: keep the session's identity map small.
                    db.session.commit()
                    db.session.expunge_all()
            db.session.commit()
            built = time.perf_counter() - started

            started = time.perf_counter()
            months = [m for year in (2026, 2027, 2028) for m in reimbursements.forecast(year)]
            summed = time.perf_counter() - started
        total = sum(m.amount_sek for m in months)
        expected = adults * ADULT + children * CHILD
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
        print(f"households: {args.households} ({adults} adults, {children} children)")
        print(f"ledger built: {built:.1f} s ({built / args.households * 1000:.2f} ms/household)")
        print(f"forecast 2026-2028 (36 months): {summed * 1000:.0f} ms")
        print(f"total: {total} kr; by hand: {expected} kr; exact: {total == expected}")
        print(f"all amounts int: {all(type(m.amount_sek) is int for m in months)}")
        if total != expected:
            sys.exit(1)


if __name__ == "__main__":
    main()
