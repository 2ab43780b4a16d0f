"""Matching received payments against expected ones, with the differences.

Rows are keyed by (household, person, kind, month). A payment tied to a person matches that
person's row; one tied only to a household (by case reference) is shared out over the
household's rows of the same kind and month, in member order, each up to what is still
unpaid, and any rest goes to the last row (which then shows as overpaid). A payment for
someone Mottagning does not know is its own row, keyed by the identity as given.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from reception.engine.reimbursement import PaymentKind
from reception.extensions import db
from reception.models import ExpectedPayment, ReceivedPayment


class MatchStatus(StrEnum):
    MATCHED = "matched"
    PARTLY_PAID = "partly_paid"
    OVERPAID = "overpaid"
    UNPAID = "unpaid"  # the payment month has passed and nothing came
    NOT_DUE = "not_due"  # expected later (or this month): nothing to chase yet
    UNEXPECTED = "unexpected"  # money nobody expected


# household id, person id, kind, month, identity as given (only for unknown payers)
Key = tuple[int | None, int | None, str, date, str | None]


@dataclass
class ReconciliationRow:
    household_id: int | None
    household_reference: str | None
    person_id: int | None
    person_name: str | None
    identity: str | None
    kind: str
    month: date
    expected_sek: int = 0
    received_sek: int = 0
    status: MatchStatus = MatchStatus.NOT_DUE
    payment_ids: list[int] = field(default_factory=list)
    rule: str | None = None

    @property
    def difference_sek(self) -> int:
        """Received minus expected: negative means money still missing."""
        return self.received_sek - self.expected_sek


@dataclass
class Reconciliation:
    year: int
    rows: list[ReconciliationRow]
    expected_sek: int
    received_sek: int
    counts: dict[MatchStatus, int]
    # Sum of differences per status, e.g. how much is missing for "partly_paid".
    differences: dict[MatchStatus, int]

    @property
    def difference_sek(self) -> int:
        return self.received_sek - self.expected_sek


def _first_of_next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _status(row: ReconciliationRow, today: date) -> MatchStatus:
    if row.expected_sek == 0:
        return MatchStatus.MATCHED if row.received_sek == 0 else MatchStatus.UNEXPECTED
    if row.received_sek == row.expected_sek:
        return MatchStatus.MATCHED
    if row.received_sek > row.expected_sek:
        return MatchStatus.OVERPAID
    if row.received_sek > 0:
        return MatchStatus.PARTLY_PAID
    # Daily compensation is paid in arrears: the month the days were spent in is not the
    # month the money comes, so it is overdue one month later.
    due_by = _first_of_next_month(row.month)
    if row.kind == PaymentKind.TP_DAILY:
        due_by = _first_of_next_month(due_by)
    return MatchStatus.UNPAID if today >= due_by else MatchStatus.NOT_DUE


def reconcile(year: int, today: date, *, household_id: int | None = None) -> Reconciliation:
    """Expected against received for every month of ``year`` (or one household's)."""
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    expected_query = (
        select(ExpectedPayment)
        .where(ExpectedPayment.month >= start, ExpectedPayment.month < end)
        .options(selectinload(ExpectedPayment.household), selectinload(ExpectedPayment.person))
    )
    received_query = (
        select(ReceivedPayment)
        .where(ReceivedPayment.month >= start, ReceivedPayment.month < end)
        .options(selectinload(ReceivedPayment.household), selectinload(ReceivedPayment.person))
        .order_by(ReceivedPayment.id)
    )
    if household_id is not None:
        expected_query = expected_query.where(ExpectedPayment.household_id == household_id)
        received_query = received_query.where(ReceivedPayment.household_id == household_id)

    rows: dict[Key, ReconciliationRow] = {}
    for expected in db.session.scalars(expected_query):
        key: Key = (expected.household_id, expected.person_id, expected.kind, expected.month, None)
        row = rows.get(key) or _row(key, expected.household, expected.person)
        row.expected_sek += expected.amount_sek
        row.rule = expected.rule
        rows[key] = row

    household_level: dict[tuple[int, str, date], list[ReceivedPayment]] = defaultdict(list)
    for payment in db.session.scalars(received_query):
        if payment.household_id is not None and payment.person_id is None:
            household_level[(payment.household_id, payment.kind, payment.month)].append(payment)
            continue
        unknown = payment.household_id is None and payment.kind != PaymentKind.TP_PLACE
        key = (
            payment.household_id,
            payment.person_id,
            payment.kind,
            payment.month,
            payment.identity if unknown else None,
        )
        row = rows.get(key) or _row(key, payment.household, payment.person)
        row.received_sek += payment.amount_sek
        row.payment_ids.append(payment.id)
        rows[key] = row

    for (hh_id, kind, month), payments in household_level.items():
        _share_out(rows, hh_id, kind, month, payments)

    ordered = sorted(
        rows.values(),
        key=lambda r: (
            r.month,
            r.household_reference or "",
            r.identity or "",
            r.person_id or 0,
            r.kind,
        ),
    )
    counts: dict[MatchStatus, int] = dict.fromkeys(MatchStatus, 0)
    differences: dict[MatchStatus, int] = dict.fromkeys(MatchStatus, 0)
    for row in ordered:
        row.status = _status(row, today)
        counts[row.status] += 1
        differences[row.status] += row.difference_sek
    return Reconciliation(
        year=year,
        rows=ordered,
        expected_sek=sum((r.expected_sek for r in ordered), 0),
        received_sek=sum((r.received_sek for r in ordered), 0),
        counts=counts,
        differences=differences,
    )


def _row(key: Key, household: object, person: object) -> ReconciliationRow:
    household_id, person_id, kind, month, identity = key
    return ReconciliationRow(
        household_id=household_id,
        household_reference=getattr(household, "reference", None),
        person_id=person_id,
        person_name=getattr(person, "full_name", None),
        identity=identity,
        kind=kind,
        month=month,
    )


def _share_out(
    rows: dict[Key, ReconciliationRow],
    household_id: int,
    kind: str,
    month: date,
    payments: list[ReceivedPayment],
) -> None:
    targets = sorted(
        (
            row
            for key, row in rows.items()
            if key[0] == household_id and key[2] == kind and key[3] == month and row.expected_sek
        ),
        key=lambda r: r.person_id or 0,
    )
    remaining = sum((p.amount_sek for p in payments), 0)
    ids = [p.id for p in payments]
    if not targets:
        key: Key = (household_id, None, kind, month, None)
        row = rows.get(key) or _row(key, payments[0].household, None)
        row.received_sek += remaining
        row.payment_ids += ids
        rows[key] = row
        return
    for index, row in enumerate(targets):
        last = index == len(targets) - 1
        share = remaining if last else max(0, min(remaining, row.expected_sek - row.received_sek))
        row.received_sek += share
        remaining -= share
        row.payment_ids += ids
