"""Bench: households/s through the service layer, against a BPMN engine and the raw floor.

    .venv/bin/pip install -e '.[bench]'     # SpiffWorkflow, for the peer
    .venv/bin/python bench/write_path.py [--households 200] [--sizes 1000,10000,100000]
                                         [--database-url URL] [--only sqlite|postgres]

Runs on SQLite (a temporary file) and, when it answers, on PostgreSQL (--database-url,
default $BENCH_DATABASE_URL or postgresql+psycopg://postgres@127.0.0.1:5432/mtg_bench_run;
that database is wiped). Printed per database, side by side:

- service: services.households.create_household, one household per transaction (as one
  request would), the demo's kind of family (2 adults and 1-2 children, 3.3 people on
  average) in the reception-centre workflow: ~25 tasks, the ledger and the history;
- peer: SpiffWorkflow 3 (a BPMN engine) starting a process of 25 user tasks per household
  and storing its serialized JSON in a table of the same database, one per transaction;
- floor: the rows the service wrote (household, persons, tasks, ledger, history) copied
  raw in bulk (bench/floor.py: COPY on PostgreSQL, executemany on SQLite);
- import: reception.services.household_import, when present, one file of --households;
- the ratios service/peer and service/floor (this is a shared 2-core machine: compare the
  ratios of one run, not seconds across runs);
- ms per service-created household with 1 000, 10 000 and 100 000 households already in
  the database (seeded from the templates by the database itself, floor.replicate), which
  should stay flat.

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, func, insert, select

from bench import database, floor
from reception.extensions import db
from reception.models import Household, Task, User
from reception.models.tenancy import tenant
from reception.services import households

TODAY = date(2026, 5, 4)
TASKS = 25  # user tasks in the peer's process: what the service plans for this family
PEER = MetaData()
BPMN_INSTANCE = Table(
    "bench_bpmn_instance",
    PEER,
    Column("id", Integer, primary_key=True),
    Column("reference", String(50), nullable=False),
    Column("state", Text, nullable=False),
)


def family(index: int, prefix: str) -> dict[str, Any]:
    """Two adults and one or two children (3.33 people on average), received last month."""
    received = TODAY - timedelta(days=30 + index % 60)
    members = [
        {"given_name": "Rania", "family_name": f"F{index}", "birth_date": "1991-01-15"},
        {"given_name": "Omar", "family_name": f"F{index}", "birth_date": "1988-03-02"},
        {"given_name": "Lina", "family_name": f"F{index}", "birth_date": "2014-02-10"},
    ]
    if index % 3 == 0:
        members.append(
            {"given_name": "Yusuf", "family_name": f"F{index}", "birth_date": "2022-09-30"}
        )
    return {
        "reference": f"{prefix} {index}",
        "workflow": "settlement-reception-centre",
        "assignment_date": (received - timedelta(days=32)).isoformat(),
        "reception_date": received.isoformat(),
        "members": members,
    }


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:8.1f} households/s ({seconds / count * 1000:6.2f} ms each)"


def timed(function: Callable[[], Any]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def service(count: int, actor_id: int, prefix: str) -> list[float]:
    """Seconds of each create_household, one household per transaction."""
    each = []
    for index in range(count):
        # As separate requests would: the user loaded anew, no growing identity map.
        db.session.expunge_all()
        started = time.perf_counter()
        user = db.session.get(User, actor_id)
        households.create_household(family(index, prefix), user, TODAY)
        each.append(time.perf_counter() - started)
    return each


def _bpmn(tasks: int) -> str:
    nodes = "".join(f'<bpmn:userTask id="task_{n}" name="Task {n}"/>' for n in range(tasks))
    ids = ["start", *(f"task_{n}" for n in range(tasks)), "end"]
    flows = "".join(
        f'<bpmn:sequenceFlow id="flow_{n}" sourceRef="{a}" targetRef="{b}"/>'
        for n, (a, b) in enumerate(itertools.pairwise(ids))
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'id="defs" targetNamespace="http://bench">'
        '<bpmn:process id="reception" isExecutable="true">'
        f'<bpmn:startEvent id="start"/>{nodes}<bpmn:endEvent id="end"/>{flows}'
        "</bpmn:process></bpmn:definitions>"
    )


def peer(count: int) -> float | None:
    """SpiffWorkflow: a 25-user-task process per household, its JSON stored, per transaction.

    The tasks are parallel in the family's checklist; in the process they are a sequence
    (the engine creates every task up front either way and serializes them all).
    """
    try:
        from SpiffWorkflow.bpmn import BpmnWorkflow
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    except ImportError:
        return None
    PEER.create_all(db.engine)
    parser = BpmnParser()
    parser.add_bpmn_str(_bpmn(TASKS).encode())
    spec = parser.get_spec("reception")
    serializer = BpmnWorkflowSerializer()

    def run() -> None:
        for index in range(count):
            workflow = BpmnWorkflow(spec)
            workflow.do_engine_steps()
            state = serializer.serialize_json(workflow)
            db.session.execute(insert(BPMN_INSTANCE), {"reference": f"P {index}", "state": state})
            db.session.commit()

    return timed(run)


def floor_rate(templates: list[floor.Template], count: int) -> float:
    def run() -> None:
        floor.Cloner(templates).insert(count)
        db.session.commit()

    return timed(run)


def bulk_import(count: int, actor_id: int) -> float | str:
    """Seconds for one file of `count` families, or why there is no figure."""
    try:
        module = importlib.import_module("reception.services.household_import")
    except ImportError:
        return "reception.services.household_import is not there yet: skipped"
    lines = ["reference;workflow;assignment_date;reception_date;given_name;family_name;birth_date"]
    for index in range(count):
        data = family(index, "I")
        for member in data["members"]:
            lines.append(
                f"{data['reference']};{data['workflow']};{data['assignment_date']};"
                f"{data['reception_date']};{member['given_name']};{member['family_name']};"
                f"{member['birth_date']}"
            )
    content = ("\n".join(lines) + "\n").encode()
    actor = db.session.get(User, actor_id)
    try:
        return timed(lambda: module.import_households("bench.csv", content, actor, TODAY))
    except Exception as exc:  # a figure missing must not cost the rest of the run
        db.session.rollback()
        return f"failed, skipped: {type(exc).__name__}: {exc}"[:300]


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Household)) or 0,
        db.session.scalar(select(func.count()).select_from(Task)) or 0,
    )


def run(url: str, count: int, sizes: list[int], per_size: int) -> None:
    name = database.label(url)
    with database.fresh(url):
        municipality, coordinator = database.municipality_with("coordinator")
        with tenant(db.session, municipality.id):
            # Warm-up (caches, the rate book), and the floor's templates: one of each size.
            template_ids = [
                households.create_household(family(i, "T"), coordinator, TODAY).id for i in range(3)
            ]
            templates = [floor.capture(i) for i in template_ids]
            coordinator_id = coordinator.id
            before = counts()
            seconds = sum(service(count, coordinator_id, "S"))
            made, tasks = (after - first for after, first in zip(counts(), before, strict=True))
            print(f"{name:<10} service {rate(count, seconds)}  [{tasks / made:.1f} tasks each]")
            peer_seconds = peer(count)
            if peer_seconds is None:
                print(f"{name:<10} peer    SpiffWorkflow not installed (pip install -e '.[bench]')")
            else:
                spiff = f"[SpiffWorkflow, {TASKS} tasks]"
                print(f"{name:<10} peer    {rate(count, peer_seconds)}  {spiff}")
            floor_seconds = floor_rate(templates, count)
            print(f"{name:<10} floor   {rate(count, floor_seconds)}  [raw bulk insert]")
            imported = bulk_import(count, coordinator_id)
            if isinstance(imported, str):
                print(f"{name:<10} import  {imported}")
            else:
                print(f"{name:<10} import  {rate(count, imported)}  [one file]")
            # Time per household, service over the other: 2.0 means the service takes twice as long.
            ratios = [f"service/floor {seconds / floor_seconds:.1f}"]
            if peer_seconds is not None:
                ratios.insert(0, f"service/peer {seconds / peer_seconds:.2f}")
            print(f"{name:<10} ratios  " + "; ".join(ratios), flush=True)

            for size in sizes:
                present = counts()[0]
                if size > present:
                    floor.replicate(template_ids, (size - present) // len(template_ids) + 1)
                    database.analyze()
                each = service(per_size, coordinator_id, f"N{size}")
                # The median: a neighbour's burst on the shared machine moves the mean more.
                print(
                    f"{name:<10} with {size:>7,} households present: "
                    f"{statistics.median(each) * 1000:6.2f} ms per created household (median; "
                    f"mean {statistics.mean(each) * 1000:.2f})",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--per-size", type=int, default=50, help="creates timed at each size")
    parser.add_argument("--database-url", default=database.DEFAULT_POSTGRES)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",") if n]
    if args.only != "postgres":
        run(database.sqlite_url(), args.households, sizes, args.per_size)
    if args.only == "sqlite":
        return
    if database.postgres_answers(args.database_url):
        run(args.database_url, args.households, sizes, args.per_size)
    else:
        print("PostgreSQL: not reachable, skipped")


if __name__ == "__main__":
    main()
