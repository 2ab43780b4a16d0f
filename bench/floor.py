"""The floor of the benches: the rows the service layer writes, copied in raw bulk.

A template household is registered once through the service layer; its rows (household,
persons, tasks, ledger, change sets and history) are read back and copied N times with new
ids and references, foreign keys remapped, by PostgreSQL COPY or (SQLite) one Core
executemany per table, in one transaction. That is what the same rows cost with no
validation, planning or ORM: the lower bound for writing them, and a fast way to seed a
database with many households shaped as the service makes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text

from reception.extensions import db

# In insert order (foreign keys first).
TABLES = ("household", "person", "task", "expected_payment", "change_set", "change_event")
# change_event.entity -> the table its entity_id points into.
ENTITY_TABLE = {
    "household": "household",
    "person": "person",
    "task": "task",
    "reimbursement": "expected_payment",
}


@dataclass
class Template:
    """The rows of one household, by table."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _table(name: str):
    return db.metadata.tables[name]


def capture(household_id: int) -> Template:
    """Read back every row of one household (registered through the service layer)."""
    template = Template()
    for name in TABLES:
        table = _table(name)
        column = table.c.id if name == "household" else table.c.household_id
        rows = db.session.execute(select(table).where(column == household_id).order_by(table.c.id))
        template.rows[name] = [dict(row._mapping) for row in rows]
    for person in template.rows["person"]:
        # Copies would collide on the unique indexes; the templates carry no numbers.
        assert person["personnummer"] is None and person["samordningsnummer"] is None
    return template


class Cloner:
    """Copies of templates with fresh ids, continuing after the ids already in the database."""

    def __init__(self, templates: list[Template]) -> None:
        self.templates = templates
        self.next_id = {
            name: (db.session.scalar(select(func.max(_table(name).c.id))) or 0) + 1
            for name in TABLES
        }
        self.copies = 0

    def rows(self, count: int) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        for _ in range(count):
            template = self.templates[self.copies % len(self.templates)]
            self.copies += 1
            ids: dict[str, dict[int, int]] = {name: {} for name in TABLES}
            for name in TABLES:
                for row in template.rows[name]:
                    ids[name][row["id"]] = self.next_id[name]
                    self.next_id[name] += 1
            for name in TABLES:
                for row in template.rows[name]:
                    out[name].append(self._copy(name, row, ids))
        return out

    def _copy(self, name: str, row: dict[str, Any], ids: dict[str, dict[int, int]]) -> dict:
        copy = {**row, "id": ids[name][row["id"]]}
        if name == "household":
            copy["reference"] = f"F {copy['id']}"
            copy["previous_household_id"] = None
            return copy
        copy["household_id"] = next(iter(ids["household"].values()))
        if copy.get("person_id") is not None:
            copy["person_id"] = ids["person"][row["person_id"]]
        if name == "person":
            copy["previous_person_id"] = None
        if name == "change_event":
            target = ENTITY_TABLE.get(row["entity"])
            if target is not None:
                copy["entity_id"] = ids[target].get(row["entity_id"], row["entity_id"])
            if row["change_set_id"] is not None:
                copy["change_set_id"] = ids["change_set"][row["change_set_id"]]
        return copy

    def insert(self, count: int, chunk: int = 2_000) -> None:
        """Insert `count` copies, in one transaction (the caller commits)."""
        done = 0
        while done < count:
            rows = self.rows(min(chunk, count - done))
            done += min(chunk, count - done)
            for name in TABLES:
                if rows[name]:
                    write(name, rows[name])
        follow_sequences()


def write(name: str, rows: list[dict[str, Any]]) -> None:
    """Raw bulk insert: COPY on PostgreSQL, one executemany elsewhere."""
    table = _table(name)
    if db.engine.dialect.name != "postgresql":
        db.session.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def follow_sequences() -> None:
    if db.engine.dialect.name != "postgresql":
        return
    for name in TABLES:
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"
            )
        )


def replicate(household_ids: list[int], copies: int) -> int:
    """Seed fast: `copies` copies of these households' rows, made by the database itself.

    One INSERT … SELECT per table over a series of numbers (no row passes through Python):
    copy k of a row gets id = id - first + next + k * span, with first and span the lowest id
    and the id range of the templates' rows in that table and next the table's next free
    id; foreign keys are shifted the same way. Returns the number of households added.
    """
    person = _table("person")
    numbered = select(func.count()).where(
        person.c.household_id.in_(household_ids),
        (person.c.personnummer.is_not(None)) | (person.c.samordningsnummer.is_not(None)),
    )
    assert not db.session.scalar(numbered), "copies would collide on the identity numbers"
    ranges: dict[str, tuple[int, int, int]] = {}  # table -> first, span, next
    for name in TABLES:
        table = _table(name)
        column = table.c.id if name == "household" else table.c.household_id
        low, high = db.session.execute(
            select(func.min(table.c.id), func.max(table.c.id)).where(column.in_(household_ids))
        ).one()
        following = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
        if low is not None:
            ranges[name] = (low, high - low + 1, following)

    def shifted(name: str, expression: str) -> str:
        first, span, following = ranges[name]
        return f"({expression} - {first} + {following} + k.n * {span})"

    def nullable(name: str, expression: str) -> str:
        if name not in ranges:
            return "NULL"  # the templates have no such rows, so nothing points at them
        return f"CASE WHEN {expression} IS NULL THEN NULL ELSE {shifted(name, expression)} END"

    series = (
        f"WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < {copies - 1})"
    )
    templates = ", ".join(str(i) for i in household_ids)
    for name in TABLES:
        if name not in ranges:
            continue
        table = _table(name)
        values = []
        for column in table.c:
            source = f"t.{column.name}"
            if column.name == "id":
                value = shifted(name, source)
            elif column.name == "household_id":
                value = shifted("household", source)
            elif column.name in ("person_id", "change_set_id"):
                target = "person" if column.name == "person_id" else "change_set"
                value = nullable(target, source)
            elif column.name in ("previous_household_id", "previous_person_id"):
                value = "NULL"
            elif name == "household" and column.name == "reference":
                value = f"'F ' || CAST({shifted(name, 't.id')} AS VARCHAR(20))"
            elif name == "change_event" and column.name == "entity_id":
                cases = " ".join(
                    f"WHEN '{entity}' THEN {shifted(target, source)}"
                    for entity, target in ENTITY_TABLE.items()
                    if target in ranges
                )
                value = f"CASE t.entity {cases} ELSE {source} END"
            else:
                value = source
            values.append(value)
        where = "t.id" if name == "household" else "t.household_id"
        db.session.execute(
            text(
                f"{series} INSERT INTO {name} ({', '.join(c.name for c in table.c)}) "
                f"SELECT {', '.join(values)} FROM {name} t, k WHERE {where} IN ({templates})"
            )
        )
    follow_sequences()
    return copies * len(household_ids)
