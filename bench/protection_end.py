"""Bench: the end of temporary protection moved for 5 000 protection households at once.

    .venv/bin/python bench/protection_end.py [--households 5000] [--database-url URL]

Runs on SQLite (a temporary file) and, when it answers, on PostgreSQL (--database-url,
default $BENCH_DATABASE_URL or postgresql+psycopg://postgres@127.0.0.1:5432/mtg_bench_run;
that database is wiped). Three temporary-protection households are registered through the
service layer (a family of three and a single adult in the municipality's housing, a
couple in their own housing) and copied by the database (bench/floor.py) up to --households.
Timed:
services.protection.set_protection_end moving the end to 2026-10-01 (one request: every
household's alert tasks and daily compensation follow). The floor is the same row changes
written back raw, set-based (the households locked, the moved tasks, the ledger rows and
the history rows in one statement each); the ledger is checked to be back where it
started. Then finance's reimbursements.recompute_all is timed on the restored ledger (the
same payments cut again). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import bindparam, select

from bench import database, floor
from reception.extensions import db
from reception.models.tenancy import tenant
from reception.services import accounts, households, protection, reimbursements

TODAY = date(2026, 5, 4)


def _families() -> list[dict[str, Any]]:
    adult = {"given_name": "Olena", "family_name": "K", "birth_date": "1988-04-12"}
    return [
        {
            "reference": "UA 1",
            "workflow": "temporary-protection-housing",
            "assignment_date": "2026-01-05",
            "move_in_date": "2026-01-15",
            "members": [
                {**adult, "permit_date": "2025-06-25"},
                {"given_name": "Taras", "family_name": "K", "birth_date": "2015-05-20"},
                {"given_name": "Daryna", "family_name": "K", "birth_date": "2019-09-02"},
            ],
        },
        {
            "reference": "UA 2",
            "workflow": "temporary-protection-housing",
            "assignment_date": "2025-09-01",
            "move_in_date": "2025-09-10",
            "members": [{**adult, "permit_date": "2025-08-20"}],
        },
        {
            "reference": "UA 3",
            "workflow": "temporary-protection-own-housing",
            "assignment_date": "2026-02-01",
            "members": [adult, {**adult, "given_name": "Ivan", "birth_date": "1985-01-01"}],
        },
    ]


def _snapshot() -> tuple[dict[int, tuple], dict[tuple, dict[str, Any]], int]:
    task = db.metadata.tables["task"]
    ledger = db.metadata.tables["expected_payment"]
    events = db.metadata.tables["change_event"]
    tasks = {
        row.id: (row.due_date, row.due_anchor, row.waiting_for, row.rolled_from, row.status)
        for row in db.session.execute(select(task))
    }
    rows = {
        (r["household_id"], r["person_id"], r["kind"], r["month"]): dict(r)
        for r in db.session.execute(select(ledger)).mappings()
    }
    last_event = max((r for (r,) in db.session.execute(select(events.c.id))), default=0)
    return tasks, rows, last_event


def _floor(before: tuple, after: tuple, manager_id: int) -> tuple[float, int]:
    """Write the way back from `after` to `before` raw; seconds and rows written."""
    task = db.metadata.tables["task"]
    ledger = db.metadata.tables["expected_payment"]
    household = db.metadata.tables["household"]
    events = db.metadata.tables["change_event"]
    tasks_before, ledger_before, last_event = before
    tasks_after, ledger_after, _ = after
    moved = [
        {"tid": tid, "due": old[0], "anchor": old[1], "wait": old[2], "rolled": old[3]}
        for tid, old in tasks_before.items()
        if tasks_after.get(tid) != old
    ]
    added = [r["id"] for k, r in ledger_after.items() if k not in ledger_before]
    removed = [r for k, r in ledger_before.items() if k not in ledger_after]
    changed = [
        {"lid": ledger_after[k]["id"], "amount": r["amount_sek"]}
        for k, r in ledger_before.items()
        if k in ledger_after and ledger_after[k]["amount_sek"] != r["amount_sek"]
    ]
    new_events = [
        {**dict(r), "id": None, "old_value": r.new_value, "new_value": r.old_value}
        for r in db.session.execute(select(events).where(events.c.id > last_event)).mappings()
    ]
    for row in new_events:
        row.pop("id")
        row["actor_id"] = manager_id
    db.session.commit()
    started = time.perf_counter()
    db.session.execute(select(household.c.id).order_by(household.c.id).with_for_update())
    if moved:
        db.session.execute(
            task.update()
            .where(task.c.id == bindparam("tid"))
            .values(
                due_date=bindparam("due"),
                due_anchor=bindparam("anchor"),
                waiting_for=bindparam("wait"),
                rolled_from=bindparam("rolled"),
                version=task.c.version + 1,
            ),
            moved,
        )
    if added:
        db.session.execute(ledger.delete().where(ledger.c.id.in_(added)))
    if removed:
        floor.write("expected_payment", removed)
    if changed:
        db.session.execute(
            ledger.update()
            .where(ledger.c.id == bindparam("lid"))
            .values(amount_sek=bindparam("amount")),
            changed,
        )
    if new_events:
        floor.write("change_event", new_events)
    db.session.commit()
    seconds = time.perf_counter() - started
    return seconds, len(moved) + len(added) + len(removed) + len(changed) + len(new_events)


def run(url: str, count: int) -> None:
    name = database.label(url)
    with database.fresh(url):
        municipality, manager = database.municipality_with("manager")
        coordinator = accounts.create_user(municipality, "c@bench.example", "C", ["coordinator"])
        with tenant(db.session, municipality.id):
            template_ids = [
                households.create_household(f, coordinator, TODAY).id for f in _families()
            ]
            count = len(template_ids) + floor.replicate(
                template_ids, max(count // len(template_ids) - 1, 0)
            )
            database.analyze()
            before = _snapshot()
            started = time.perf_counter()
            result = protection.set_protection_end(
                {"protection_end": "2026-10-01", "reason": "Bench: earlier end"}, manager
            )
            seconds = time.perf_counter() - started
            after = _snapshot()
            floor_seconds, written = _floor(before, after, manager.id)
            back = _snapshot()
            assert back[1].keys() == before[1].keys(), "the floor did not restore the ledger"
            # The ledger is back at the old end; the decision says the new one: finance's
            # "recompute all" cuts the same payments again.
            started = time.perf_counter()
            summary = reimbursements.recompute_all(manager)
            recompute_seconds = time.perf_counter() - started
        print(
            f"{name:<10} {count:,} households: service {seconds:6.2f} s "
            f"({seconds / count * 1000:.2f} ms/household; {result.households:,} recomputed, "
            f"{len(result.moved):,} tasks moved, {result.payment_changes:,} ledger changes)"
        )
        print(
            f"{name:<10} floor (the same {written:,} rows written back raw) {floor_seconds:6.2f} s "
            f"({floor_seconds / count * 1000:.2f} ms/household); "
            f"service/floor {seconds / floor_seconds:5.1f}x",
        )
        print(
            f"{name:<10} recompute_all {recompute_seconds:6.2f} s "
            f"({summary.households:,} households, {summary.changes:,} ledger changes)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=5_000)
    parser.add_argument("--database-url", default=database.DEFAULT_POSTGRES)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    if args.only != "postgres":
        run(database.sqlite_url(), args.households)
    if args.only == "sqlite":
        return
    if database.postgres_answers(args.database_url):
        run(args.database_url, args.households)
    else:
        print("PostgreSQL: not reachable, skipped")


if __name__ == "__main__":
    main()
