"""Set-based INSERTs: many rows of one table in one statement.

On PostgreSQL the rows travel as one array per column, ``INSERT … SELECT … FROM unnest(…)``:
a short statement that the driver parses once and the server plans once, whatever the
number of rows (a multi-row VALUES list is a new, long statement for every row count, and
psycopg re-parses each in Python). Elsewhere (SQLite) SQLAlchemy's insertmanyvalues writes
one multi-row VALUES.

These INSERTs bypass the ORM's unit of work: no before_flush hook (where tenancy fills in
municipality_id), no ORM defaults, nothing added to the identity map. Callers pass complete
rows, all with the same keys, and flush the session first when the rows refer to new ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Insert, Row, Table, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import InstrumentedAttribute

from reception.extensions import db


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
    names = tuple(rows[0])
    if db.session.get_bind().dialect.name == "postgresql":
        arrays = {f"rows_{name}": [row[name] for row in rows] for name in names}
        result = db.session.execute(_unnest_insert(model.__table__, names, returning), arrays)
    else:
        statement = insert(model.__table__)
        if returning:
            statement = statement.returning(*returning)
        result = db.session.execute(statement, list(rows))
    return list(result) if returning else []


@cache
def _unnest_insert(
    table: Table, names: tuple[str, ...], returning: tuple[InstrumentedAttribute[Any], ...]
) -> Insert:
    """``INSERT INTO t (a, b) SELECT a, b FROM unnest(:rows_a, :rows_b) AS u(a, b)``.

    Built once per table, columns and RETURNING: building it is most of the Python cost.
    """
    source = (
        func.unnest(
            *(
                bindparam(f"rows_{name}", type_=postgresql.ARRAY(table.c[name].type))
                for name in names
            )
        )
        .table_valued(*names)
        .render_derived()
    )
    statement = insert(table).from_select(names, select(*(source.c[name] for name in names)))
    return statement.returning(*returning) if returning else statement
