"""Set-based INSERTs: many rows of one table in one statement.

On PostgreSQL the rows travel as ONE json parameter, ``INSERT … SELECT … FROM
json_populate_recordset(NULL::table, :rows)``: a short statement that the driver parses once
and the server plans once, whatever the number of rows, and a single parameter that Python's
C json encoder writes (a multi-row VALUES is a new, long statement for every row count,
which psycopg re-parses in Python; an array per column costs more still to dump). The
server reads each field as the column's type. Elsewhere (SQLite) SQLAlchemy's
insertmanyvalues writes one multi-row VALUES.

These INSERTs bypass the ORM's unit of work: no before_flush hook (where tenancy fills in
municipality_id), no ORM defaults, nothing added to the identity map. Callers pass complete
rows, all with the same keys, and flush the session first when the rows refer to new ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Row,
    Table,
    TextClause,
    any_,
    bindparam,
    insert,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import InstrumentedAttribute

from reception.extensions import db

# Ids per IN list: well under SQLite's 32 766 bound parameters, and one query for a
# municipality's households in practice.
CHUNK = 10_000


def in_ids(column: Any, ids: Sequence[int]) -> Iterator[ColumnElement[bool]]:
    """Conditions ``column IN ids`` for reading or deleting many rows: one statement each.

    On PostgreSQL ONE condition, ``column = ANY(:ids)`` with the ids as one array
    parameter (an IN list is a bound parameter per id, which psycopg converts one by one
    and the server parses one by one). Elsewhere ``IN`` lists of at most CHUNK ids.
    Nothing for no ids.
    """
    if not ids:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        yield column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
        return
    for start in range(0, len(ids), CHUNK):
        yield column.in_(ids[start : start + CHUNK])


def insert_rows(
    model: type[Any],
    rows: Sequence[dict[str, Any]],
    returning: tuple[InstrumentedAttribute[Any], ...] = (),
) -> list[Row[Any]]:
    """Insert the rows in one statement; the ``returning`` columns of each, in no set order.

    The order of the returned rows is not promised: callers match them to their rows by a
    unique key (a task's key and person, a payment's person, kind and month …).
    """
    if not rows:
        return []
    dialect = db.session.get_bind().dialect
    if dialect.name == "postgresql":
        names = tuple(rows[0])
        statement = _from_json(
            dialect, model.__table__, names, tuple(c.expression.name for c in returning)
        )
        payload = json.dumps(rows, default=_iso, ensure_ascii=False, separators=(",", ":"))
        result = db.session.execute(statement, {"rows": payload})
    else:
        plain = insert(model.__table__)
        if returning:
            plain = plain.returning(*returning)
        result = db.session.execute(plain, list(rows))
    return list(result) if returning else []


def _iso(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()  # a datetime keeps its UTC offset: timestamptz reads it
    raise TypeError(f"{type(value).__name__} is not a column value")


@cache
def _from_json(
    dialect: Dialect, table: Table, names: tuple[str, ...], returning: tuple[str, ...]
) -> TextClause:
    """The INSERT for these columns, built once per table, columns and RETURNING."""
    quote = dialect.identifier_preparer.quote
    name = dialect.identifier_preparer.format_table(table)
    columns = ", ".join(quote(n) for n in names)
    sql = (
        f"INSERT INTO {name} ({columns}) SELECT {columns} "
        f"FROM json_populate_recordset(NULL::{name}, CAST(:rows AS json))"
    )
    if returning:
        sql += " RETURNING " + ", ".join(quote(n) for n in returning)
    return text(sql)
