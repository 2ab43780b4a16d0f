"""Importing households from CSV and Excel: all or nothing, every wrong cell with its place."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy import func, select

from reception.demo import identity_number
from reception.extensions import db
from reception.models import (
    ChangeEvent,
    ChangeSet,
    ExpectedPayment,
    Household,
    Municipality,
    Person,
    Task,
    User,
)
from reception.models.tenancy import system, tenant
from reception.services import accounts, households
from reception.services.household_import import ImportRejected, Problem, import_households

RANIA = identity_number(date(1991, 1, 15), 100)
OMAR = identity_number(date(1993, 3, 2), 101)
OLENA = identity_number(date(1988, 4, 12), 102, coordination=True)

HEADER = (
    "reference;workflow;assignment_date;latest_reception_date;reception_date;coordinator;"
    "given_name;family_name;birth_date;personnummer"
)
ROWS = [
    f"KS 1;settlement-reception-centre;2026-03-10;;2026-04-20;sam@bracke.example;"
    f"Rania;Al-Hassan;1991-01-15;{RANIA}",
    f"KS 1;settlement-reception-centre;2026-03-10;;2026-04-20;sam@bracke.example;"
    f"Omar;Al-Hassan;1993-03-02;{OMAR}",
    "KS 1;;;;;;Lina;Al-Hassan;2014-02-10;",
    f"KS 2;settlement-resettled;2026-04-01;2026-05-08;;;Olena;Kovalenko;1988-04-12;{OLENA}",
]


@pytest.fixture(autouse=True)
def english(app_ctx: Flask) -> Iterator[None]:
    with force_locale("en"):
        yield


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Household, Person, Task, ExpectedPayment, ChangeSet, ChangeEvent)
    }


def rejected(content: bytes, today: date, filename: str = "cases.csv") -> list[Problem]:
    before = counts()
    with pytest.raises(ImportRejected) as caught:
        import_households(filename, content, None, today)
    db.session.rollback()
    assert counts() == before, "nothing may be stored when the file is refused"
    return caught.value.problems


@pytest.fixture()
def sam(municipality: Municipality) -> User:
    return accounts.create_user(municipality, "sam@bracke.example", "Sam", ["coordinator"])


def test_csv_import_registers_every_household(
    in_tenant: Municipality, sam: User, frozen_today: date
) -> None:
    result = import_households("cases.csv", b"\xef\xbb\xbf" + csv_file(*ROWS), sam, frozen_today)
    assert (result.households, result.persons, result.dry_run) == (2, 4, False)
    assert result.tasks == db.session.scalar(select(func.count()).select_from(Task))
    assert result.payments == db.session.scalar(select(func.count()).select_from(ExpectedPayment))
    assert result.tasks > 0 and result.payments > 0
    found, _total = households.list_households()
    by_reference = {h.reference: h for h in found}
    ks1 = by_reference["KS 1"]
    assert [m.given_name for m in ks1.members] == ["Rania", "Omar", "Lina"]
    assert ks1.coordinator_id == sam.id and ks1.reception_date == date(2026, 4, 20)
    assert ks1.latest_reception_date == date(2026, 5, 10)  # assignment + two months
    assert {m.personnummer for m in ks1.members} == {RANIA, OMAR, None}
    ks2 = by_reference["KS 2"]
    assert ks2.members[0].samordningsnummer == OLENA
    assert ks2.latest_reception_date == date(2026, 5, 8)
    tasks = db.session.scalars(select(Task).where(Task.household_id == ks1.id)).all()
    assert {t.assignee_id for t in tasks} == {sam.id}
    reasons = set(db.session.scalars(select(ChangeSet.reason)))
    assert reasons == {"Importerad"}
    events = db.session.scalars(select(ChangeEvent)).all()
    assert {e.reason for e in events} == {"Importerad"} and all(e.change_set_id for e in events)


def test_comma_separated_with_swedish_headers(in_tenant: Municipality, frozen_today: date) -> None:
    header = (
        "Referens,Arbetsflöde,Anvisningsdatum,Senaste_mottagningsdatum,Mottagningsdatum,"
        "Förnamn,Efternamn,Födelsedatum,Samordningsnummer"
    )
    content = (
        f'{header}\n"KS 9, Bräcke",self-settled,2026-02-01,,2026-02-15,Åsa,Öberg,1990-06-01,\n'
    ).encode()
    result = import_households("fil.csv", content, None, frozen_today)
    assert (result.households, result.persons) == (1, 1)
    (household,) = households.list_households()[0]
    assert household.reference == "KS 9, Bräcke"
    assert household.members[0].full_name == "Åsa Öberg"


def test_xlsx_import_reads_date_cells_and_text(in_tenant: Municipality, frozen_today: date) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["referens", "arbetsflöde", "anvisningsdatum", "mottagningsdatum", "förnamn",
                  "efternamn", "födelsedatum", "personnummer"])  # fmt: skip
    sheet.append(["UA 1", "settlement-reception-centre", datetime(2026, 3, 10),
                  date(2026, 4, 20), "Rania", "Al-Hassan", date(1991, 1, 15), RANIA])  # fmt: skip
    sheet.append(["UA 1", None, None, None, "Yusuf", "Al-Hassan", "2021-09-30", None])
    sheet.append([None] * 8)  # a blank row is skipped
    sheet.append([2026, "self-settled", "2026-03-01", None, "Ali", "Noor", date(1980, 1, 1)])
    buffer = io.BytesIO()
    book.save(buffer)
    result = import_households("cases.xlsx", buffer.getvalue(), None, frozen_today)
    assert (result.households, result.persons) == (2, 3)
    found = {h.reference: h for h in households.list_households()[0]}
    assert found["UA 1"].assignment_date == date(2026, 3, 10)
    assert [m.birth_date for m in found["UA 1"].members] == [date(1991, 1, 15), date(2021, 9, 30)]
    assert "2026" in found  # a number cell is read as the text it shows


def test_every_wrong_cell_is_listed_with_row_and_column(
    in_tenant: Municipality, frozen_today: date
) -> None:
    content = csv_file(
        f"KS 1;settlement-reception-centre;2026-03-10;;2026-04-20;;Rania;Al-Hassan;1991-01-15;"
        f"{RANIA}",
        "KS 1;settlement-reception-centre;2026-03-11;;;;;Al-Hassan;1993-13-02;",
        "KS 2;no-such-flow;2027-01-01;;;nobody@bracke.example;Olena;Kovalenko;1988-04-12;123",
        ";self-settled;2026-01-01;;;;A;B;1990-01-01;",
    )
    problems = rejected(content, frozen_today)
    where = {(p.row, p.column) for p in problems}
    assert where == {
        (3, "assignment_date"),  # differs from row 2 for the same reference
        (3, "given_name"),
        (3, "birth_date"),
        (4, "workflow"),
        (4, "assignment_date"),  # in the future
        (4, "coordinator"),
        (4, "personnummer"),
        (5, "reference"),
    }
    differs = next(p for p in problems if (p.row, p.column) == (3, "assignment_date"))
    assert "2026-03-10" in differs.message and "2" in differs.message
    assert [p.row for p in problems] == sorted(p.row or 0 for p in problems)


def test_header_problems_are_reported_at_once(in_tenant: Municipality, frozen_today: date) -> None:
    header = "referens;workflow;arbetsflöde;förnamn;födelsedatum;anteckning"
    problems = rejected(csv_file("x;y;z;a;b;c", header=header), frozen_today)
    assert {(p.row, p.column) for p in problems} == {
        (1, "arbetsflöde"),  # the workflow column twice
        (1, "anteckning"),  # unknown
        (1, "assignment_date"),  # missing
        (1, "family_name"),  # missing
    }


def test_duplicate_numbers_in_the_file_and_in_the_database(
    in_tenant: Municipality, frozen_today: date
) -> None:
    households.create_household(
        {
            "reference": "KS 1",
            "workflow": "self-settled",
            "assignment_date": "2026-01-01",
            "members": [
                {"given_name": "R", "family_name": "A", "birth_date": "1991-01-15",
                 "personnummer": RANIA},
            ],
        },
        None,
        frozen_today,
    )  # fmt: skip
    content = csv_file(
        f"KS 1;self-settled;2026-01-01;;;;X;Y;1993-03-02;{OMAR}",  # reference taken
        f"KS 5;self-settled;2026-01-01;;;;Rania;A;1991-01-15;{RANIA}",  # number taken
        f"KS 6;self-settled;2026-01-01;;;;Omar;A;1993-03-02;{OMAR}",  # same as row 2
        f"KS 6;self-settled;2026-01-01;;;;Omar;B;1993-03-02;{OMAR}",  # twice in one household
    )
    problems = rejected(content, frozen_today)
    found = {(p.row, p.column): p.message for p in problems}
    assert set(found) == {(2, "reference"), (3, "personnummer"), (5, "personnummer")}
    assert found[(2, "reference")] == "A household with this reference already exists."
    assert found[(3, "personnummer")] == "Another person already has this number."
    # KS 6 repeats a number among its own members; the one of row 2 is in a refused
    # household (its reference is taken) and so is only checked against the database.
    assert found[(5, "personnummer")] == "The same number is given twice."
    across = csv_file(
        f"KS 7;self-settled;2026-01-01;;;;Omar;A;1993-03-02;{OMAR}",
        f"KS 8;self-settled;2026-01-01;;;;Omar;B;1993-03-02;{OMAR}",
    )
    problems = rejected(across, frozen_today)
    assert [(p.row, p.column, p.message) for p in problems] == [
        (3, "personnummer", "The same number is on row 2.")
    ]


def test_file_level_problems(in_tenant: Municipality, frozen_today: date) -> None:
    assert [p.row for p in rejected(b"", frozen_today)] == [None]
    assert [p.row for p in rejected(HEADER.encode(), frozen_today)] == [None]
    assert rejected(b"PK\x03\x04broken", frozen_today, "cases.xlsx")[0].message.startswith(
        "The file cannot be read"
    )
    assert "xlsx" in rejected(b"\xd0\xcf\x11\xe0", frozen_today, "old.xls")[0].message
    extra = csv_file(f"{ROWS[3]};surplus")
    assert [(p.row, p.column) for p in rejected(extra, frozen_today)] == [(2, None)]


def test_too_many_households_is_refused(
    in_tenant: Municipality, frozen_today: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reception.services.household_import import service

    monkeypatch.setattr(service, "MAX_HOUSEHOLDS", 2)
    rows = [f"KS {n};self-settled;2026-01-01;;;;A;B;1990-01-01;" for n in range(3)]
    (problem,) = rejected(csv_file(*rows), frozen_today)
    assert problem.row is None and "2" in problem.message


def test_dry_run_checks_and_counts_but_saves_nothing(
    in_tenant: Municipality, sam: User, frozen_today: date
) -> None:
    before = counts()
    result = import_households("cases.csv", csv_file(*ROWS), None, frozen_today, dry_run=True)
    assert result.dry_run and (result.households, result.persons) == (2, 4) and result.tasks
    assert counts() == before


def run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=list(args))


def test_cli_imports_or_prints_every_problem(
    municipality, sam, tmp_path: Path, frozen_today
) -> None:
    from flask import current_app

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    good = tmp_path / "cases.csv"
    good.write_bytes(csv_file(*ROWS))
    result = run(app, "households", "import", str(good), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output and "2 households, 4 persons" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file("KS 3;self-settled;2026-13-01;;;;A;B;1990-01-01;"))
    result = run(app, "households", "import", str(bad), "--municipality", "2260")
    assert result.exit_code == 1
    assert (
        "row 2, column assignment_date:" in result.output and "Nothing was saved" in result.output
    )
    result = run(app, "households", "import", str(good), "--municipality", "2260")
    assert result.exit_code == 0, result.output
    assert "Imported cases.csv into Bräcke kommun: 2 households, 4 persons" in result.output
    with tenant(db.session, municipality.id):
        assert db.session.scalar(select(func.count()).select_from(Household)) == 2
    with system(db.session):
        accounts.create_municipality("2303", "Ragunda kommun")
    result = run(app, "households", "import", str(good))
    assert result.exit_code != 0 and "--municipality" in result.output
    result = run(app, "households", "import", str(good), "--municipality", "9999")
    assert result.exit_code != 0
