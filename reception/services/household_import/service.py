"""Importing a municipality's open cases from a spreadsheet: every household or none.

One row per member, the household's columns repeated on each of its rows and the rows
grouped by reference. Each household is checked as one registered by hand would be
(households.read_household), the references and identity numbers against the municipality
and within the file (registration.find_clashes); every problem is reported with its row and
column, and nothing is written unless the whole file is clean. Then registration.create_many
writes the lot in one transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from reception.extensions import db
from reception.models import User
from reception.services import history, registration
from reception.services.errors import FieldError, ValidationError
from reception.services.household_import import reader
from reception.services.household_import.reader import Row, Table
from reception.services.households import read_household
from reception.services.registration import HouseholdInput

MAX_HOUSEHOLDS = 20_000
MAX_ERRORS = 1_000

HOUSEHOLD_COLUMNS = (
    "workflow",
    "assignment_date",
    "latest_reception_date",
    "reception_date",
    "move_in_date",
    "move_out_date",
    "coordinator",
)
MEMBER_COLUMNS = (
    "given_name",
    "family_name",
    "birth_date",
    "personnummer",
    "permit_date",
    "samordningsnummer_date",
)
# Fields read_household names -> the file's columns.
FIELD_COLUMNS = {"workflow": "workflow", "members": "reference"}
_MEMBER_FIELD = re.compile(r"^members\[(\d+)\]\.(.+)$")


@dataclass(frozen=True)
class Problem:
    """One wrong cell (or row, or the whole file) as the user sees it."""

    row: int | None
    column: str | None
    message: str

    @property
    def cells(self) -> tuple[int | None, str | None, str]:
        """Row, column and message, as the problem tables list them."""
        return (self.row, self.column, self.message)


class ImportRejected(ValidationError):
    """The file was refused; `problems` lists every wrong cell in row order."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__([_field_error(p) for p in problems])
        self.problems = problems


def _field_error(problem: Problem) -> FieldError:
    if problem.row is None:
        return FieldError("file", problem.message)
    if problem.column is None:
        return FieldError(
            f"rows[{problem.row}]",
            _("Row %(row)d: %(message)s", row=problem.row, message=problem.message),
        )
    return FieldError(
        f"rows[{problem.row}].{problem.column}",
        _(
            "Row %(row)d, column %(column)s: %(message)s",
            row=problem.row,
            column=problem.column,
            message=problem.message,
        ),
    )


@dataclass(frozen=True)
class ImportResult:
    households: int
    persons: int
    tasks: int
    payments: int
    dry_run: bool


@dataclass
class _Group:
    """The rows of one reference: the household's values and where each was read."""

    reference: str
    rows: list[Row]
    values: dict[str, Any]
    source: dict[str, int]  # column -> the row its value was read from


def import_households(
    filename: str, content: bytes, actor: User | None, today: date, *, dry_run: bool = False
) -> ImportResult:
    """Register every household of the file in one transaction, or raise ImportRejected.

    With `dry_run` everything is checked and written, then rolled back: the counts are
    those a real import would create.
    """
    table, file_errors = reader.read(filename, content)
    if table is None:
        raise ImportRejected([_problem(e) for e in file_errors])
    problems: list[Problem] = []
    groups = _groups(table, problems)
    if len(groups) > MAX_HOUSEHOLDS:
        raise ImportRejected(
            [Problem(None, None, _("At most %(n)d households per file.", n=MAX_HOUSEHOLDS))]
        )
    coordinators = _coordinators(table, groups, problems)
    validated: list[HouseholdInput] = []
    checked: list[_Group] = []
    for group in groups:
        household, errors = read_household(_raw(group), today)
        problems += [_locate(table, group, e) for e in errors]
        if household is None:
            continue
        email = group.values.get("coordinator")
        if email:
            user = coordinators.get(str(email).lower())
            if user is None:
                continue  # reported by _coordinators
            household = replace(household, coordinator_id=user.id)
        validated.append(household)
        checked.append(group)
    for clash in registration.find_clashes(validated):
        problems.append(_clash(table, checked, clash))
    if problems:
        raise ImportRejected(_capped(problems))
    created = registration.create_many(validated, actor, history.in_swedish(_l("Imported")))
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return ImportResult(
        households=len(created.household_ids),
        persons=created.persons,
        tasks=created.tasks,
        payments=created.payments,
        dry_run=dry_run,
    )


def _problem(error: FieldError) -> Problem:
    match = re.match(r"^rows\[(\d+)\](?:\.(.+))?$", error.field)
    if match is None:
        return Problem(None, None, error.message)
    return Problem(int(match.group(1)), match.group(2), error.message)


def _capped(problems: list[Problem]) -> list[Problem]:
    ordered = sorted(problems, key=lambda p: (p.row or 0,))
    if len(ordered) <= MAX_ERRORS:
        return ordered
    more = _("More than %(n)d problems; the first %(n)d are listed.", n=MAX_ERRORS)
    return [*ordered[:MAX_ERRORS], Problem(None, None, more)]


def _groups(table: Table, problems: list[Problem]) -> list[_Group]:
    """The rows of each reference, in the order the references first appear.

    A household's columns may be repeated on every row of it or left empty after the
    first; a different value is an error on the row that differs.
    """
    groups: dict[str, _Group] = {}
    for row in table.rows:
        reference = row.cells["reference"]
        if not isinstance(reference, str) or not reference:
            message = _("This field is required.") if reference == "" else _("Must be text.")
            problems.append(Problem(row.line, table.header("reference"), message))
            continue
        group = groups.get(reference)
        if group is None:
            group = groups[reference] = _Group(reference, [], {}, {})
        group.rows.append(row)
        for column in HOUSEHOLD_COLUMNS:
            value = row.cells.get(column, "")
            if value == "":
                continue
            if column not in group.values:
                group.values[column] = value
                group.source[column] = row.line
            elif _same(group.values[column]) != _same(value):
                problems.append(
                    Problem(
                        row.line,
                        table.header(column),
                        _(
                            "Row %(row)d gives %(value)s for the same reference.",
                            row=group.source[column],
                            value=_same(group.values[column]),
                        ),
                    )
                )
    return list(groups.values())


def _same(value: Any) -> str:
    """A cell as compared between the rows of one household."""
    return value.isoformat() if isinstance(value, date) else str(value).strip()


def _coordinators(table: Table, groups: list[_Group], problems: list[Problem]) -> dict[str, User]:
    """The active users of the municipality named by e-mail in the file, in one query."""
    emails = {str(g.values["coordinator"]).lower() for g in groups if g.values.get("coordinator")}
    users: dict[str, User] = {}
    if emails:
        found = db.session.scalars(
            select(User).where(func.lower(User.email).in_(sorted(emails)), User.active)
        )
        users = {u.email.lower(): u for u in found}
    for group in groups:
        email = group.values.get("coordinator")
        if email and str(email).lower() not in users:
            problems.append(
                Problem(
                    group.source["coordinator"],
                    table.header("coordinator"),
                    _("No active user with this e-mail address in this municipality."),
                )
            )
    return users


def _raw(group: _Group) -> dict[str, Any]:
    """The household as households.read_household reads it (as from the API)."""
    raw: dict[str, Any] = {"reference": group.reference}
    for column in HOUSEHOLD_COLUMNS:
        if column != "coordinator" and column in group.values:
            raw[column] = group.values[column]
    raw["members"] = [
        {column: row.cells[column] for column in MEMBER_COLUMNS if row.cells.get(column, "") != ""}
        for row in group.rows
    ]
    return raw


def _locate(table: Table, group: _Group, error: FieldError) -> Problem:
    """Where an error of read_household is in the file: the member's row, or the row the
    household's value was read from."""
    match = _MEMBER_FIELD.match(error.field)
    if match is not None:
        row = group.rows[int(match.group(1))]
        field = match.group(2)
        column = field if field in reader.COLUMNS else None
        return Problem(row.line, table.header(column) if column else None, error.message)
    column = FIELD_COLUMNS.get(error.field, error.field)
    if column not in reader.COLUMNS:
        return Problem(group.rows[0].line, None, error.message)
    line = group.source.get(column, group.rows[0].line)
    return Problem(line, table.header(column), error.message)


def _clash(table: Table, groups: list[_Group], clash: registration.Clash) -> Problem:
    group = groups[clash.household]
    if clash.member is None:
        return Problem(group.rows[0].line, table.header("reference"), clash.message)
    line = group.rows[clash.member].line
    message = clash.message
    if clash.earlier is not None:
        earlier_group = groups[clash.earlier[0]]
        earlier_row = earlier_group.rows[clash.earlier[1] or 0].line
        message = _("The same number is on row %(row)d.", row=earlier_row)
    return Problem(line, table.header("personnummer"), message)
