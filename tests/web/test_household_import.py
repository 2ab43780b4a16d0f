"""/admin/households/import: an administrator uploads the municipality's open cases."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from openpyxl import Workbook
from sqlalchemy import func, select

from reception.demo import identity_number
from reception.extensions import db
from reception.models import Household, Municipality, Person, User
from reception.models.tenancy import tenant
from reception.services import accounts
from tests.web.helpers import sign_in, web_client

NUMBER = identity_number(date(1991, 1, 15), 100)
HEADER = "referens;arbetsflöde;anvisningsdatum;mottagningsdatum;förnamn;efternamn;födelsedatum;personnummer"  # noqa: E501
GOOD = (
    f"{HEADER}\n"
    f"KS 1;settlement-reception-centre;2026-03-10;2026-04-20;Rania;Al-Hassan;1991-01-15;{NUMBER}\n"
    "KS 1;settlement-reception-centre;2026-03-10;2026-04-20;Lina;Al-Hassan;2014-02-10;\n"
    "KS 2;self-settled;2026-04-01;;Ali;Noor;1980-01-01;\n"
)


@pytest.fixture()
def admin(app: Flask, municipality: Municipality, frozen_today: date) -> Any:
    """Signed in on the frozen day (a session would not survive a jump back in time), with
    English pages so that the assertions do not depend on the Swedish catalogue."""
    user = accounts.create_user(
        municipality, "admin@bracke.example", "Ada Admin", ["admin"], locale="en"
    )
    client = web_client(app)
    client.token = sign_in(client, user)
    return client


def text(response: Any) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\u00a0", " ")


def upload(client: Any, content: bytes, name: str = "fall.csv", **form: str) -> Any:
    return client.post(
        "/admin/households/import",
        data={"csrf_token": client.token, "file": (io.BytesIO(content), name), **form},
        content_type="multipart/form-data",
    )


def stored(municipality: Municipality) -> tuple[int, int]:
    with tenant(db.session, municipality.id):
        return (
            db.session.scalar(select(func.count()).select_from(Household)) or 0,
            db.session.scalar(select(func.count()).select_from(Person)) or 0,
        )


def test_the_page_has_a_labelled_file_field_and_is_linked(admin: Any) -> None:
    page = admin.get("/admin/households/import")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<label class="form-label" for="file">' in html
    assert 'name="csrf_token"' in html and 'enctype="multipart/form-data"' in html
    for listing in ("/admin/users", "/households/"):
        assert 'href="/admin/households/import"' in admin.get(listing).get_data(as_text=True)


def test_an_upload_registers_the_households_and_says_how_many(
    admin: Any, municipality: Municipality, frozen_today: date
) -> None:
    response = upload(admin, GOOD.encode())
    assert response.status_code == 303
    page = text(admin.get(response.headers["Location"]))
    assert re.search(r"Imported 2 households with 3 persons and \d+ tasks\.", page), page
    assert stored(municipality) == (2, 3)


def test_an_xlsx_upload_is_read(admin: Any, municipality: Municipality, frozen_today: date) -> None:
    book = Workbook()
    for line in GOOD.splitlines():
        book.active.append(line.split(";"))
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(admin, buffer.getvalue(), "fall.xlsx")
    assert response.status_code == 303
    assert stored(municipality) == (2, 3)


def test_a_dry_run_saves_nothing(
    admin: Any, municipality: Municipality, frozen_today: date
) -> None:
    response = upload(admin, GOOD.encode(), dry_run="y")
    assert response.status_code == 303
    page = text(admin.get(response.headers["Location"]))
    assert "nothing was saved" in page and "creates 2 households with 3 persons" in page
    assert stored(municipality) == (0, 0)


def test_a_bad_file_lists_every_problem_and_saves_nothing(
    admin: Any, municipality: Municipality, frozen_today: date
) -> None:
    content = (
        f"{HEADER}\n"
        f"KS 1;settlement-reception-centre;2026-03-10;2026-04-20;Rania;Al-Hassan;1991-01-15;"
        f"{NUMBER}\n"
        "KS 1;settlement-reception-centre;2026-03-11;;;Al-Hassan;2014-02-30;\n"
        "KS 2;self-settled;2026-04-01;;Ali;Noor;1980-01-01;123\n"
    ).encode()
    response = upload(admin, content)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html and 'href="#file-errors"' in html
    assert '<caption id="file-errors">' in html
    rows = re.findall(
        r'<tr>\s*<td class="num">(\d+)</td>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>', html
    )
    assert {(row, column) for row, column, _message in rows} == {
        ("3", "anvisningsdatum"),
        ("3", "förnamn"),
        ("3", "födelsedatum"),
        ("4", "personnummer"),
    }
    assert "The file was not imported: 4 problems. Nothing was saved." in text(response)
    assert stored(municipality) == (0, 0)


def test_no_file_is_a_clear_error(admin: Any) -> None:
    response = admin.post(
        "/admin/households/import",
        data={"csrf_token": admin.token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="file-error"' in html and 'aria-invalid="true"' in html


def test_only_admins_may_import(
    app: Flask, municipality: Municipality, coordinator: User, frozen_today: date
) -> None:
    anonymous = web_client(app)
    assert anonymous.get("/admin/households/import").status_code in (302, 303)
    client = web_client(app)
    client.token = sign_in(client, coordinator)
    assert client.get("/admin/households/import").status_code == 403
    assert upload(client, GOOD.encode()).status_code == 403
    assert stored(municipality) == (0, 0)
    assert "/admin/households/import" not in client.get("/households/").get_data(as_text=True)


def test_a_file_over_the_limit_is_refused(
    admin: Any, municipality: Municipality, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reception.services.household_import import reader

    monkeypatch.setattr(reader, "MAX_BYTES", 100)
    response = upload(admin, GOOD.encode())
    assert response.status_code == 422
    assert "The file is larger than 0 MB." in text(response)  # the limit as patched
    assert stored(municipality) == (0, 0)
