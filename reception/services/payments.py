"""Received payments: entered by hand or imported from a payment specification file.

A payment is matched to a person (by personnummer or samordningsnummer) or a household (by
its case reference) when Mottagning knows them; otherwise it is kept with the identity as
given and shows up in the reconciliation as unexpected. Imports are all-or-nothing and a
file already imported (same SHA-256) is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from reception.engine.reimbursement import PaymentKind
from reception.extensions import db
from reception.models import Household, PaymentImport, Person, ReceivedPayment, User
from reception.models.tenancy import get_in_tenant
from reception.services import payment_file, versions
from reception.services.errors import Conflict, FieldError, NotFound, ValidationError
from reception.services.payment_file import CellError, PaymentRow
from reception.services.validation import Input


@dataclass(frozen=True)
class Owner:
    household_id: int | None
    person_id: int | None


# Identifiers per IN list: far below the bound-parameter limits of SQLite (32 766) and of
# PostgreSQL's protocol (65 535), which a 50 000-row file would otherwise exceed.
IN_CHUNK = 5_000


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), IN_CHUNK):
        yield ordered[start : start + IN_CHUNK]


def _people_by_number(numbers: Iterable[str]) -> dict[str, Owner]:
    """Who each personnummer or samordningsnummer belongs to (only those known)."""
    found: dict[str, Owner] = {}
    for chunk in _chunks(numbers):
        rows = db.session.execute(
            select(
                Person.id, Person.household_id, Person.personnummer, Person.samordningsnummer
            ).where(or_(Person.personnummer.in_(chunk), Person.samordningsnummer.in_(chunk)))
        )
        wanted = set(chunk)
        for person_id, household_id, personnummer, samordningsnummer in rows:
            for number in (personnummer, samordningsnummer):
                if number in wanted:
                    found[number] = Owner(household_id, person_id)
    return found


def _households_by_reference(references: Iterable[str]) -> dict[str, int]:
    """The household id of each case reference (only those known)."""
    found: dict[str, int] = {}
    for chunk in _chunks(references):
        rows = db.session.execute(
            select(Household.reference, Household.id).where(Household.reference.in_(chunk))
        )
        found.update((reference, household_id) for reference, household_id in rows)
    return found


def _owner(
    identity: str | None,
    case_reference: str | None,
    people: Mapping[str, Owner],
    households: Mapping[str, int],
) -> Owner | str:
    """Who a payment belongs to, or an error message when the two identifiers disagree."""
    person = people.get(identity) if identity else None
    household_id = households.get(case_reference) if case_reference else None
    if person is not None and household_id is not None and person.household_id != household_id:
        return _("The person does not belong to the household with this case reference.")
    if person is not None:
        return person
    if household_id is not None:
        return Owner(household_id, None)
    return Owner(None, None)


# --- entered by hand ---------------------------------------------------------------------------


def _read_manual(raw: Mapping[str, Any], today: date) -> tuple[dict[str, Any], Input]:
    data = Input(raw)
    values: dict[str, Any] = {}
    paid_on = data.date("paid_on", required=True)
    if paid_on is not None and paid_on > today:
        data.error("paid_on", _("The date is in the future."))
    values["paid_on"] = paid_on
    for name, parse in (
        ("kind", payment_file.parse_kind),
        ("month", payment_file.parse_month),
    ):
        text = data.text(name, required=name == "kind", max_length=60)
        if text is None:
            continue
        try:
            values[name] = parse(text)
        except CellError as exc:
            data.error(name, str(exc))
    amount = raw.get("amount_sek") if isinstance(raw, Mapping) else None
    if amount is None or amount == "":
        data.error("amount_sek", _("This field is required."))
    elif isinstance(amount, bool) or not isinstance(amount, int | str):
        # A JSON number with a fraction is a float: refused rather than rounded.
        data.error("amount_sek", _("Give the amount as whole kronor (an integer or text)."))
    else:
        try:
            values["amount_sek"] = payment_file.parse_amount(str(amount))
        except CellError as exc:
            data.error("amount_sek", str(exc))
    identity = data.text("personnummer", max_length=20)
    if identity is not None:
        try:
            values["identity"] = payment_file.parse_identity(identity)
        except CellError as exc:
            data.error("personnummer", str(exc))
    values["case_reference"] = data.text("case_reference", max_length=50)
    values["reference"] = data.text("reference", max_length=200)
    return values, data


def _apply_manual(
    payment: ReceivedPayment, values: dict[str, Any], data: Input, today: date
) -> None:
    kind = values.get("kind")
    identity = values.get("identity")
    case_reference = values.get("case_reference")
    if kind == PaymentKind.TP_PLACE and (identity or case_reference):
        data.error("personnummer", _("The per-place payment belongs to the municipality."))
    elif kind is not None and kind != PaymentKind.TP_PLACE and not (identity or case_reference):
        data.error("personnummer", _("Give a personnummer or a case reference."))
    data.raise_if_errors()
    owner = _owner(
        identity,
        case_reference,
        _people_by_number([identity] if identity else []),
        _households_by_reference([case_reference] if case_reference else []),
    )
    if isinstance(owner, str):
        raise ValidationError([FieldError("case_reference", owner)])
    payment.kind = str(kind)
    payment.paid_on = values["paid_on"]
    payment.month = values.get("month") or values["paid_on"].replace(day=1)
    payment.amount_sek = values["amount_sek"]
    payment.identity = identity or case_reference
    payment.reference = values.get("reference")
    payment.household_id = owner.household_id
    payment.person_id = owner.person_id


def add_payment(raw: Mapping[str, Any], actor: User | None, today: date) -> ReceivedPayment:
    """Record a payment entered by hand (e.g. from the bank statement)."""
    values, data = _read_manual(raw, today)
    payment = ReceivedPayment(created_by_id=actor.id if actor else None)
    _apply_manual(payment, values, data, today)
    db.session.add(payment)
    db.session.commit()
    return payment


def get_payment(payment_id: int) -> ReceivedPayment:
    payment = get_in_tenant(db.session, ReceivedPayment, payment_id)
    if payment is None:
        raise NotFound(_("No such payment."), "id")
    return payment


def _manual_only(payment: ReceivedPayment) -> None:
    if payment.import_id is not None:
        raise Conflict(
            _("Imported payments are changed by withdrawing their import and importing again."),
            "import_id",
        )


def _locked(payment_id: int, data: Input) -> ReceivedPayment:
    """The payment, read under its row lock; its version checked if the client sent one."""
    payment = versions.lock_payment(payment_id)
    if payment is None:
        raise NotFound(_("No such payment."), "id")
    version = versions.expected(data)
    data.raise_if_errors()
    versions.check(payment, version)
    return payment


def update_payment(
    payment_id: int, raw: Mapping[str, Any], actor: User | None, today: date
) -> ReceivedPayment:
    """Correct a payment entered by hand; every field is given again (a full replacement)."""
    payment = _locked(payment_id, Input(raw))
    _manual_only(payment)
    values, data = _read_manual(raw, today)
    _apply_manual(payment, values, data, today)
    db.session.commit()
    return payment


def delete_payment(
    payment_id: int, actor: User | None, raw: Mapping[str, Any] | None = None
) -> None:
    payment = _locked(payment_id, Input(raw))
    _manual_only(payment)
    db.session.delete(payment)
    db.session.commit()


def list_payments(
    *,
    year: int | None = None,
    household_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[ReceivedPayment], int]:
    query = select(ReceivedPayment)
    if year is not None:
        query = query.where(
            ReceivedPayment.month >= date(year, 1, 1), ReceivedPayment.month < date(year + 1, 1, 1)
        )
    if household_id is not None:
        query = query.where(ReceivedPayment.household_id == household_id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = db.session.scalars(
        query.options(selectinload(ReceivedPayment.person), selectinload(ReceivedPayment.household))
        .order_by(ReceivedPayment.paid_on.desc(), ReceivedPayment.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(items), total


# --- imported from a file ----------------------------------------------------------------------


def _already_imported(digest: str) -> Conflict:
    earlier = db.session.scalar(select(PaymentImport).where(PaymentImport.sha256 == digest))
    if earlier is None:
        # Imported and withdrawn again while this request ran.
        return Conflict(_("This file was imported by someone else at the same time."), "file")
    return Conflict(
        _(
            "This file was already imported on %(day)s as %(name)s.",
            day=f"{earlier.imported_at:%Y-%m-%d}",
            name=earlier.filename,
        ),
        "file",
    )


def _same_file(exc: IntegrityError) -> bool:
    """Whether the unique (municipality, sha256) index refused the import."""
    text = str(exc.orig)
    return "sha256" in text or "uq_payment_import_municipality_id" in text


def import_file(filename: str, content: bytes, actor: User | None, today: date) -> PaymentImport:
    """Import a payment specification: every row or none, and never the same file twice.

    The rows go in as one bulk INSERT (a 50 000-row file is seconds, not minutes); the
    unique (municipality, sha256) index decides between two people importing the same file
    at once: the second gets the same 409 as a later attempt would.
    """
    name = (filename or "").strip()[:255] or "betalningar.csv"
    digest = hashlib.sha256(content).hexdigest()
    if db.session.scalar(select(PaymentImport.id).where(PaymentImport.sha256 == digest)):
        raise _already_imported(digest)
    rows, errors = payment_file.read(content)
    if errors:
        raise ValidationError(errors)
    errors = []
    for row in rows:
        if row.paid_on > today:
            errors.append(
                payment_file.row_error(
                    row.line, "utbetalningsdatum", _("The date is in the future.")
                )
            )
    people = _people_by_number(r.identity for r in rows if r.identity)
    households = _households_by_reference(r.case_reference for r in rows if r.case_reference)
    owners: list[Owner] = []
    for row in rows:
        owner = _owner(row.identity, row.case_reference, people, households)
        if isinstance(owner, str):
            errors.append(payment_file.row_error(row.line, "ärende", owner))
        else:
            owners.append(owner)
    if errors:
        raise ValidationError(errors)
    batch = PaymentImport(
        filename=name,
        sha256=digest,
        row_count=len(rows),
        total_sek=sum((r.amount_sek for r in rows), 0),
        imported_by_id=actor.id if actor else None,
    )
    db.session.add(batch)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        if not _same_file(exc):
            raise
        raise _already_imported(digest) from exc
    # Core executemany of the table, past the ORM's unit of work (and past its bulk insert,
    # which splits the rows into one statement per run of rows with the same NULL columns):
    # the tenant is set here, as the before-flush check would for ORM objects.
    db.session.execute(
        insert(ReceivedPayment.__table__),
        [_imported(row, owner, batch, actor) for row, owner in zip(rows, owners, strict=True)],
    )
    db.session.commit()
    return batch


def _imported(
    row: PaymentRow, owner: Owner, batch: PaymentImport, actor: User | None
) -> dict[str, Any]:
    return {
        "municipality_id": batch.municipality_id,
        "import_id": batch.id,
        "household_id": owner.household_id,
        "person_id": owner.person_id,
        "kind": str(row.kind),
        "month": row.month,
        "paid_on": row.paid_on,
        "amount_sek": row.amount_sek,
        "identity": row.identity or row.case_reference,
        "reference": row.reference,
        "import_line": row.line,
        "created_by_id": actor.id if actor else None,
    }


def list_imports() -> list[PaymentImport]:
    return list(
        db.session.scalars(
            select(PaymentImport).order_by(
                PaymentImport.imported_at.desc(), PaymentImport.id.desc()
            )
        )
    )


def get_import(import_id: int) -> PaymentImport:
    batch = get_in_tenant(db.session, PaymentImport, import_id)
    if batch is None:
        raise NotFound(_("No such import."), "id")
    return batch


def withdraw_import(import_id: int, actor: User | None) -> None:
    """Remove an import and all its payments (e.g. the wrong file); it may be imported again.

    The payments go in one DELETE rather than one per row (an import can hold 50 000).
    """
    batch = get_import(import_id)
    db.session.execute(
        delete(ReceivedPayment)
        .where(ReceivedPayment.import_id == batch.id)
        .execution_options(synchronize_session=False)
    )
    # Any payments of the import loaded earlier in this session are gone now: forget them,
    # so that the cascade below finds an empty collection.
    db.session.expire(batch, ["payments"])
    db.session.delete(batch)
    db.session.commit()
