"""Registering new households set-based: many in one transaction, in a handful of INSERTs.

A new household has no tasks, payments or history yet, so what checklist.recompute would do
for it is known in advance: every task the engine plans is created (with an "added" line in
the history) and every payment the calculator computes is added (with its line). This module
writes exactly those rows, for a whole batch at once, with Core INSERT … RETURNING over lists
of rows instead of one ORM flush per object; households.create_household and the household
import (services/household_import/) both write through create_many.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Any, TypeVar

from flask_babel import gettext as _
from sqlalchemy import Table, literal, null, select, union_all
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError

from reception.engine.instantiate import plan
from reception.extensions import db
from reception.models import (
    ChangeEvent,
    ChangeSet,
    ExpectedPayment,
    Household,
    HouseholdStatus,
    Person,
    Task,
    User,
)
from reception.models.tenancy import TenantNotSet, bound_municipality
from reception.services import protection_rules, reimbursements
from reception.services.checklist import facts_of, task_row
from reception.services.errors import Conflict
from reception.services.workflows import definition_for
from reception.timeutil import utcnow

# Households written per round of INSERTs: bounds the memory of a 20 000-household import
# while keeping the statements few (SQLAlchemy sends up to 1 000 rows per statement).
CHUNK = 500
# From this many rows of a chunk PostgreSQL gets them by COPY, a table at a time; fewer go in
# one statement for all tables (one household registered by hand has some seventy rows).
COPY_FROM = 200
# Values per IN (...) list when checking uniqueness: below every driver's parameter limit.
IN_CHUNK = 1000

T = TypeVar("T")


@dataclass(frozen=True)
class MemberInput:
    given_name: str
    family_name: str
    birth_date: date
    personnummer: str | None
    samordningsnummer: str | None
    samordningsnummer_date: date | None = None
    permit_date: date | None = None

    @property
    def number(self) -> str | None:
        return self.personnummer or self.samordningsnummer


@dataclass(frozen=True)
class HouseholdInput:
    """One validated new household (households.read_household), ready to be written."""

    reference: str
    workflow_key: str
    workflow_version: int
    assignment_date: date
    latest_reception_date: date
    reception_date: date | None
    coordinator_id: int | None
    members: tuple[MemberInput, ...]
    move_in_date: date | None = None
    move_out_date: date | None = None


@dataclass(frozen=True)
class Clash:
    """A reference or identity number that is taken, or given twice in the batch."""

    household: int  # index in the batch
    member: int | None  # index among its members; None for the reference
    message: str
    # The household and member index of the earlier occurrence in the batch, if any.
    earlier: tuple[int, int | None] | None = None

    @property
    def field(self) -> str:
        return "reference" if self.member is None else f"members[{self.member}].personnummer"


@dataclass(frozen=True)
class Created:
    household_ids: list[int]
    persons: int
    tasks: int
    payments: int


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _taken(references: Sequence[str], numbers: Sequence[str]) -> tuple[set[str], set[str]]:
    """The references and identity numbers already in the municipality, in one query per
    thousand values (one for a household registered by hand)."""
    municipality_id = bound_municipality(db.session)
    if municipality_id is None:
        raise TenantNotSet("checking households needs a session bound to one municipality")
    taken_references: set[str] = set()
    taken_numbers: set[str] = set()
    for start in range(0, max(len(references), len(numbers)), IN_CHUNK):
        some_references = references[start : start + IN_CHUNK]
        some_numbers = numbers[start : start + IN_CHUNK]
        queries = []
        if some_references:
            queries.append(
                select(literal("r"), Household.reference, null()).where(
                    Household.municipality_id == municipality_id,
                    Household.reference.in_(some_references),
                )
            )
        if some_numbers:
            queries.append(
                select(literal("n"), Person.personnummer, Person.samordningsnummer).where(
                    Person.municipality_id == municipality_id,
                    Person.personnummer.in_(some_numbers)
                    | Person.samordningsnummer.in_(some_numbers),
                )
            )
        # Core on the session's connection: the municipality is in the WHERE already, and
        # the ORM's execution layer (its tenancy hook) costs more than this query.
        for kind, first, second in db.session.connection().execute(union_all(*queries)):
            if kind == "r":
                taken_references.add(first)
            else:
                taken_numbers.update(n for n in (first, second) if n is not None)
    return taken_references, taken_numbers


def find_clashes(batch: Sequence[HouseholdInput]) -> list[Clash]:
    """References and personnummer/samordningsnummer already in the municipality or repeated.

    One query per thousand values, in household then member order. The unique indexes
    still decide a race with a concurrent writer (create_many turns that into a 409).
    """
    references, numbers = _taken(
        [h.reference for h in batch], [m.number for h in batch for m in h.members if m.number]
    )
    clashes: list[Clash] = []
    first_reference: dict[str, int] = {}
    first_number: dict[str, tuple[int, int]] = {}
    for index, household in enumerate(batch):
        if household.reference in references:
            clashes.append(Clash(index, None, _("A household with this reference already exists.")))
        elif household.reference in first_reference:
            clashes.append(
                Clash(
                    index,
                    None,
                    _("The same reference is given twice."),
                    (first_reference[household.reference], None),
                )
            )
        first_reference.setdefault(household.reference, index)
        for position, member in enumerate(household.members):
            number = member.number
            if number is None:
                continue
            if number in numbers:
                clashes.append(Clash(index, position, _("Another person already has this number.")))
            elif number in first_number:
                clashes.append(
                    Clash(
                        index,
                        position,
                        _("The same number is given twice."),
                        first_number[number],
                    )
                )
            first_number.setdefault(number, (index, position))
    return clashes


def integrity_conflict(exc: IntegrityError, prefix: str = "") -> Conflict | None:
    """The 409 for a unique index that a concurrent writer won, or None for other errors."""
    message = str(exc.orig)
    if "personnummer" in message or "samordningsnummer" in message:
        return Conflict(_("Another person already has this number."), f"{prefix}personnummer")
    if "reference" in message:
        return Conflict(_("A household with this reference already exists."), "reference")
    return None


def create_many(batch: Sequence[HouseholdInput], actor: User | None, reason: str) -> Created:
    """Write new households with their members, tasks, ledger and history; no commit.

    The caller has validated the batch and checked it with find_clashes. Rows equal what
    creating each household through the ORM and checklist.recompute writes (tests check
    this), each household's history grouped under one ChangeSet with `reason`. A unique
    index violated by a concurrent writer rolls back and becomes a Conflict.
    """
    municipality_id = bound_municipality(db.session)
    if municipality_id is None:
        raise TenantNotSet("registering households needs a session bound to one municipality")
    created = Created([], 0, 0, 0)
    try:
        with protection_rules.scenario_held():
            for chunk in _chunks(batch, CHUNK):
                created = _add(created, _write(chunk, municipality_id, actor, reason))
    except IntegrityError as exc:
        db.session.rollback()
        conflict = integrity_conflict(exc)
        if conflict is None:
            raise
        raise conflict from exc
    return created


def _add(total: Created, part: Created) -> Created:
    return Created(
        total.household_ids + part.household_ids,
        total.persons + part.persons,
        total.tasks + part.tasks,
        total.payments + part.payments,
    )


def _iso(value: Any) -> str:
    if isinstance(value, date):  # and datetime, which keeps its UTC offset for timestamptz
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


# SQLite's limit of bound values per statement (SQLITE_MAX_VARIABLE_NUMBER since 3.32).
SQLITE_VARIABLES = 32_766


def _insert(table: Table, rows: list[dict[str, Any]], with_ids: bool = True) -> list[int]:
    """SQLite: multi-row INSERTs … RETURNING id; the ids in the order of `rows`.

    Straight to the driver, the values as SQLAlchemy would store them, with a statement
    built once per table, columns and row count: for the fifty-odd rows of one household,
    SQLAlchemy's compiling and parameter handling cost more than SQLite takes to store them.

    SQLite cannot promise RETURNING's order, but a multi-row INSERT gives each row the next
    rowid in turn (largest + 1; the transaction holds the write lock), so the ids in
    ascending order are the rows' ids in order.
    """
    if not rows:
        return []
    dialect = db.session.get_bind().dialect
    names = tuple(rows[0])
    processors = _bind_processors(dialect, table, names)
    per_statement = SQLITE_VARIABLES // len(names)
    connection = db.session.connection()
    ids: list[int] = []
    for chunk in _chunks(rows, per_statement):
        values = [
            value if process is None else process(value)
            for row in chunk
            for value, process in zip(row.values(), processors, strict=True)
        ]
        statement = _sqlite_statement(dialect, table, names, len(chunk), with_ids)
        result = connection.exec_driver_sql(statement, tuple(values))
        if with_ids:
            ids += result.scalars()
    return sorted(ids)


@cache
def _bind_processors(
    dialect: Dialect, table: Table, names: tuple[str, ...]
) -> tuple[Callable[[Any], Any] | None, ...]:
    return tuple(table.c[name].type.bind_processor(dialect) for name in names)


@lru_cache(maxsize=64)  # a statement per row count: the import's last chunks vary
def _sqlite_statement(
    dialect: Dialect, table: Table, names: tuple[str, ...], count: int, with_ids: bool
) -> str:
    quote = dialect.identifier_preparer.quote
    row = "(" + ", ".join("?" * len(names)) + ")"
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
        f"({', '.join(quote(n) for n in names)}) VALUES {', '.join([row] * count)}"
    )
    return sql + " RETURNING id" if with_ids else sql


def _copy(table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: COPY the rows (their ids taken ahead) in.

    A multi-row INSERT of thousands of parameters costs psycopg more to parse than the
    server takes to store it; COPY streams the rows and is parsed by nobody.
    """
    import psycopg  # the PostgreSQL driver, installed with the "postgres" extra

    statement = psycopg.sql.SQL("COPY {} ({}) FROM STDIN").format(
        psycopg.sql.Identifier(table.name),
        psycopg.sql.SQL(", ").join(map(psycopg.sql.Identifier, rows[0])),
    )
    connection = db.session.connection().connection.driver_connection
    try:
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(list(row.values()))
    except psycopg.IntegrityError as exc:
        raise IntegrityError(statement.as_string(connection), None, exc) from exc


def _table(model: type[Any]) -> Table:
    return model.__table__  # type: ignore[no-any-return]


def _write(
    chunk: Sequence[HouseholdInput], municipality_id: int, actor: User | None, reason: str
) -> Created:
    """Write one chunk. On PostgreSQL the ids come from the sequences first (two queries) and
    the rows then go in one statement (or one COPY per table for a large chunk); on SQLite
    each table's INSERT returns the ids the next table refers to."""
    now = utcnow()
    actor_id = actor.id if actor else None
    ahead = db.session.get_bind().dialect.name == "postgresql"
    written: list[tuple[Table, list[dict[str, Any]]]] = []

    def store(model: type[Any], rows: list[dict[str, Any]], ids: list[int] | None) -> list[int]:
        """The rows' ids: those taken ahead (the rows then wait in `written`), or returned."""
        if ids is None:
            return _insert(_table(model), rows)
        for row, row_id in zip(rows, ids, strict=True):
            row["id"] = row_id
        written.append((_table(model), rows))
        return ids

    persons = sum(len(h.members) for h in chunk)
    household_ahead, person_ahead, change_set_ahead = (
        _take_ids((Household, len(chunk)), (Person, persons), (ChangeSet, len(chunk)))
        if ahead
        else (None, None, None)
    )
    household_ids = store(
        Household, [_household_row(h, municipality_id, now) for h in chunk], household_ahead
    )
    person_rows = [
        _person_row(member, household_id, municipality_id, now)
        for household, household_id in zip(chunk, household_ids, strict=True)
        for member in household.members
    ]
    person_ids = iter(store(Person, person_rows, person_ahead))
    change_set_ids = store(
        ChangeSet,
        [
            {
                "municipality_id": municipality_id,
                "household_id": household_id,
                "reason": reason[:300],
                "actor_id": actor_id,
                "at": now,
            }
            for household_id in household_ids
        ],
        change_set_ahead,
    )

    # The engine and the calculator read ORM objects: transient ones, never added to the
    # session, carrying the ids just returned.
    task_rows: list[dict[str, Any]] = []
    payment_rows: list[dict[str, Any]] = []
    for household, household_id in zip(chunk, household_ids, strict=True):
        transient = _transient(household, household_id, municipality_id, person_ids)
        task_rows += _task_rows(transient, now)
        payment_rows += _payment_rows(transient, now)
    task_ahead, payment_ahead = (
        _take_ids((Task, len(task_rows)), (ExpectedPayment, len(payment_rows)))
        if ahead
        else (None, None)
    )
    task_ids = store(Task, task_rows, task_ahead)
    payment_ids = store(ExpectedPayment, payment_rows, payment_ahead)

    change_sets = dict(zip(household_ids, change_set_ids, strict=True))

    def event(
        row: dict[str, Any], entity: str, entity_id: int, field: str, new: str
    ) -> dict[str, Any]:
        return {
            "municipality_id": municipality_id,
            "household_id": row["household_id"],
            "change_set_id": change_sets[row["household_id"]],
            "entity": entity,
            "entity_id": entity_id,
            "field": field,
            "old_value": None,
            "new_value": new,
            "reason": reason[:300],
            "actor_id": actor_id,
            "at": now,
        }

    # As recompute logs them: one line per new task (due date, or "–" while unknown), then
    # one per new payment (named by kind and month).
    events = [
        event(row, "task", task_id, "added", _text(row["due_date"] or "–"))
        for row, task_id in zip(task_rows, task_ids, strict=True)
    ]
    events += [
        event(
            row,
            reimbursements.ENTITY,
            payment_id,
            f"{row['kind']} {row['month']:%Y-%m}",
            _text(row["amount_sek"]),
        )
        for row, payment_id in zip(payment_rows, payment_ids, strict=True)
    ]
    if ahead:
        _write_all([*written, (_table(ChangeEvent), events)])
    else:
        _insert(_table(ChangeEvent), events, with_ids=False)
    return Created(household_ids, len(person_rows), len(task_rows), len(payment_rows))


def _take_ids(*wanted: tuple[type[Any], int]) -> list[list[int]]:
    """PostgreSQL: `n` new ids from each table's sequence, ascending, in one query."""
    arrays = ", ".join(
        f"ARRAY(SELECT nextval(pg_get_serial_sequence(%(t{i})s, 'id')) "
        f"FROM generate_series(1, %(n{i})s))"
        for i in range(len(wanted))
    )
    parameters: dict[str, Any] = {}
    for i, (model, count) in enumerate(wanted):
        parameters[f"t{i}"] = _table(model).name
        parameters[f"n{i}"] = count
    row = db.session.connection().exec_driver_sql(f"SELECT {arrays}", parameters).one()
    return [sorted(ids) for ids in row]


def _write_all(tables: list[tuple[Table, list[dict[str, Any]]]]) -> None:
    """PostgreSQL: rows with their ids, foreign keys first: one statement (each table a
    data-modifying WITH, its rows one json parameter), or a COPY per table when large."""
    present = [(table, rows) for table, rows in tables if rows]
    if sum(len(rows) for _table, rows in present) >= COPY_FROM:
        for table, rows in present:
            _copy(table, rows)
        return
    dialect = db.session.get_bind().dialect
    statement = _with_statement(dialect, tuple((table, tuple(rows[0])) for table, rows in present))
    parameters = {
        f"rows{i}": json.dumps(rows, default=_iso, ensure_ascii=False, separators=(",", ":"))
        for i, (_table, rows) in enumerate(present)
    }
    db.session.connection().exec_driver_sql(statement, parameters)


@cache
def _with_statement(dialect: Dialect, tables: tuple[tuple[Table, tuple[str, ...]], ...]) -> str:
    """WITH w0 AS (INSERT …), w1 AS (INSERT …) … INSERT …: the foreign keys are checked at
    the end of the statement, when every row is in."""
    quote = dialect.identifier_preparer.quote
    inserts = []
    for i, (table, names) in enumerate(tables):
        name = dialect.identifier_preparer.format_table(table)
        columns = ", ".join(quote(n) for n in names)
        inserts.append(
            f"INSERT INTO {name} ({columns}) SELECT {columns} "
            f"FROM json_populate_recordset(NULL::{name}, %(rows{i})s::json)"
        )
    if len(inserts) == 1:
        return inserts[0]
    heads = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(inserts[:-1]))
    return f"WITH {heads} {inserts[-1]}"


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _household_row(household: HouseholdInput, municipality_id: int, now: Any) -> dict[str, Any]:
    return {
        "municipality_id": municipality_id,
        "reference": household.reference,
        "workflow_key": household.workflow_key,
        "workflow_version": household.workflow_version,
        "assignment_date": household.assignment_date,
        "latest_reception_date": household.latest_reception_date,
        "reception_date": household.reception_date,
        "move_in_date": household.move_in_date,
        "move_out_date": household.move_out_date,
        "coordinator_id": household.coordinator_id,
        "status": HouseholdStatus.OPEN.value,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def _person_row(
    member: MemberInput, household_id: int, municipality_id: int, now: Any
) -> dict[str, Any]:
    return {
        "municipality_id": municipality_id,
        "household_id": household_id,
        "given_name": member.given_name,
        "family_name": member.family_name,
        "birth_date": member.birth_date,
        "personnummer": member.personnummer,
        "samordningsnummer": member.samordningsnummer,
        "samordningsnummer_date": member.samordningsnummer_date,
        "permit_date": member.permit_date,
        "created_at": now,
        "version": 1,
    }


def new_person(member: MemberInput, **columns: Any) -> Person:
    """A Person of a validated member (and any further columns, such as its ids)."""
    return Person(
        given_name=member.given_name,
        family_name=member.family_name,
        birth_date=member.birth_date,
        personnummer=member.personnummer,
        samordningsnummer=member.samordningsnummer,
        samordningsnummer_date=member.samordningsnummer_date,
        permit_date=member.permit_date,
        **columns,
    )


def _transient(
    household: HouseholdInput, household_id: int, municipality_id: int, person_ids: Iterator[int]
) -> Household:
    members = [
        new_person(
            member,
            id=next(person_ids),
            municipality_id=municipality_id,
            household_id=household_id,
        )
        for member in household.members
    ]
    return Household(
        id=household_id,
        municipality_id=municipality_id,
        reference=household.reference,
        workflow_key=household.workflow_key,
        workflow_version=household.workflow_version,
        assignment_date=household.assignment_date,
        latest_reception_date=household.latest_reception_date,
        reception_date=household.reception_date,
        move_in_date=household.move_in_date,
        move_out_date=household.move_out_date,
        coordinator_id=household.coordinator_id,
        status=HouseholdStatus.OPEN.value,
        members=members,
    )


def _task_rows(household: Household, now: Any) -> list[dict[str, Any]]:
    """Every task the engine plans for the new household (recompute's Create for each)."""
    definition = definition_for(household.workflow_key, household.workflow_version)
    return [task_row(definition, household, p, now) for p in plan(definition, facts_of(household))]


def _payment_rows(household: Household, now: Any) -> list[dict[str, Any]]:
    """The expected payments the calculator gives (reimbursements.refresh adds each)."""
    return [
        reimbursements.ledger_row(payment, household.id, household.municipality_id, now)
        for payment in reimbursements.compute_household(household).payments
    ]
