"""Expected payments: the ledger of what the state should pay, kept in line with the facts.

The pure calculator (engine/reimbursement.py) says what a household should bring in; this
module stores that as ExpectedPayment rows and reconciles them in place whenever the facts
change (checklist.recompute calls refresh() after every anchor change), writing each changed
amount to the history with the reason. It also holds the municipality-level payments
(fördelningstal places), the monthly forecast and the municipality-wide recompute that
finance runs after adding a year's rates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, bindparam, delete, func, select, update
from sqlalchemy.orm import selectinload

from reception.engine import reimbursement as calc
from reception.engine.rates import MissingRateYearError, RateBook, Settlement
from reception.extensions import db
from reception.models import AllocationYear, ExpectedPayment, Household, User
from reception.services import bulk, history, protection_rules
from reception.services.errors import FieldError, ValidationError
from reception.services.validation import Input
from reception.services.workflows import definition_for
from reception.timeutil import utcnow

ENTITY = "reimbursement"
FIRST_YEAR = 2000
LAST_YEAR = 2100


def rate_book() -> RateBook:
    """The rates loaded (and validated) at start-up."""
    return current_app.extensions["rates"]


@dataclass
class Computed:
    """What the calculator says a household should bring in, and what it could not compute."""

    payments: list[calc.ExpectedPayment] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)


Calculator = Callable[[Household, RateBook], Computed]


def _settlement(settlement: Settlement) -> Calculator:
    def compute(household: Household, rates: RateBook) -> Computed:
        result = Computed()
        received = household.reception_date
        if received is None:
            return result  # nothing is paid before the household is received
        for person in household.members:
            if person.birth_date > received:
                # Born after the reception: not a newly arrived person, no schablon.
                continue
            for make in (
                lambda p=person: calc.establishment_schedule(
                    p.id, p.birth_date, received, rates, allow_fallback=True
                ),
                lambda p=person: calc.initial_cost_payment(
                    p.id, p.birth_date, received, settlement, rates, allow_fallback=True
                ),
            ):
                try:
                    result.payments += make()
                except MissingRateYearError as exc:
                    # Before the first rate file: shown, never guessed.
                    result.gaps.append(f"{person.full_name}: {exc}")
        return result

    return compute


def _temporary_protection_housing(household: Household, rates: RateBook) -> Computed:
    payments, gaps = protection_rules.housing_payments(household, rates)
    return Computed(payments, gaps)


# Keyed by the workflow definition's `variant`. The establishment schablon is the same for
# everyone settled; the initial-cost schablon differs for the self-settled. Temporary
# protection in the municipality's housing brings the move-in payment and the daily
# compensation; in their own housing, nothing.
CALCULATORS: dict[str, Calculator] = {
    "reception_centre": _settlement(Settlement.ASSIGNED),
    "resettled": _settlement(Settlement.ASSIGNED),
    "self_settled": _settlement(Settlement.SELF_SETTLED),
    "temporary_protection_housing": _temporary_protection_housing,
}


def variant_of(household: Household) -> str:
    return definition_for(household.workflow_key, household.workflow_version).variant


def compute_household(household: Household, rates: RateBook | None = None) -> Computed:
    """Expected payments for a household, dispatched by its workflow variant."""
    calculator = CALCULATORS.get(variant_of(household))
    if calculator is None:
        return Computed()
    return calculator(household, rates or rate_book())


@dataclass(frozen=True)
class LedgerChange:
    kind: str
    month: date
    person_id: int | None
    old_sek: int | None
    new_sek: int | None


@dataclass
class Refreshed:
    changes: list[LedgerChange] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)


def _key(person_id: int | None, kind: str, month: date) -> tuple[int, str, date]:
    return (person_id or 0, kind, month)


def _field(kind: str, month: date) -> str:
    return f"{kind} {month:%Y-%m}"


# The stored ledger columns a reconciliation reads: plain rows, no ORM objects to build.
_STORED = (
    ExpectedPayment.id,
    ExpectedPayment.household_id,
    ExpectedPayment.person_id,
    ExpectedPayment.kind,
    ExpectedPayment.month,
    ExpectedPayment.amount_sek,
    ExpectedPayment.rule,
    ExpectedPayment.rate_year,
    ExpectedPayment.age_used,
)


@dataclass
class _Diff:
    """What bringing one household's (or the municipality's) stored rows in line takes."""

    household_id: int | None
    municipality_id: int
    changes: list[LedgerChange] = field(default_factory=list)
    added: list[calc.ExpectedPayment] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    # (row id, kind, month, old, new) of the changed and deleted amounts, in order.
    logged: list[tuple[int, str, date, int | None, int | None]] = field(default_factory=list)


def _diff(
    stored: Iterable[Row[Any]],
    wanted: Sequence[calc.ExpectedPayment],
    household_id: int | None,
    municipality_id: int,
) -> _Diff:
    """Rows are keyed by (person, kind, month): a changed amount updates the row, a new key
    adds one, a key no longer computed is deleted with its old amount kept in the history."""
    diff = _Diff(household_id, municipality_id)
    rows = {_key(r.person_id, r.kind, r.month): r for r in stored}
    for payment in wanted:
        row = rows.pop(_key(payment.person_id, payment.kind, payment.month), None)
        if row is None:
            diff.added.append(payment)
            diff.changes.append(
                LedgerChange(
                    payment.kind, payment.month, payment.person_id, None, payment.amount_sek
                )
            )
            continue
        if row.amount_sek != payment.amount_sek:
            diff.changes.append(
                LedgerChange(
                    payment.kind,
                    payment.month,
                    payment.person_id,
                    row.amount_sek,
                    payment.amount_sek,
                )
            )
            diff.logged.append((row.id, row.kind, row.month, row.amount_sek, payment.amount_sek))
        rule = payment.rule[:400]
        if (row.amount_sek, row.rule, row.rate_year, row.age_used) != (
            payment.amount_sek,
            rule,
            payment.rate_year,
            payment.age_used,
        ):
            diff.updated.append(
                {
                    "row_id": row.id,
                    "new_amount_sek": payment.amount_sek,
                    "new_rule": rule,
                    "new_rate_year": payment.rate_year,
                    "new_age_used": payment.age_used,
                }
            )
    for row in rows.values():
        diff.changes.append(LedgerChange(row.kind, row.month, row.person_id, row.amount_sek, None))
        diff.logged.append((row.id, row.kind, row.month, row.amount_sek, None))
        diff.deleted.append(row.id)
    return diff


def _write(diffs: Sequence[_Diff], reason: str, actor: User | None) -> None:
    """Every diff's rows in at most three statements, then each amount change in the history.

    The changed rows in one executemany UPDATE, the deleted ones in one DELETE … IN, the
    new ones in one INSERT (with RETURNING id, which the history names). Municipality-level
    rows (no household) have no household history; their source is the AllocationYear row,
    which records who changed it and when.
    """
    table = ExpectedPayment.__table__
    updated = [row for d in diffs for row in d.updated]
    if updated:
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(
                {
                    **{
                        c: bindparam(f"new_{c}")
                        for c in ("amount_sek", "rule", "rate_year", "age_used")
                    },
                    "updated_at": utcnow(),
                }
            ),
            updated,
        )
    deleted = [row_id for d in diffs for row_id in d.deleted]
    for condition in bulk.in_ids(table.c.id, deleted):
        db.session.execute(delete(table).where(condition))
    _forget_loaded([row["row_id"] for row in updated], deleted)
    ids = iter(_insert([(d, p) for d in diffs for p in d.added]))
    for d in diffs:
        if d.household_id is None:
            continue
        logged = d.logged + [(next(ids), str(p.kind), p.month, None, p.amount_sek) for p in d.added]
        for row_id, kind, month, old, new in logged:
            history.record(
                household_id=d.household_id,
                entity=ENTITY,
                entity_id=row_id,
                field=_field(kind, month),
                old=old,
                new=new,
                reason=reason,
                actor=actor,
            )


def _forget_loaded(updated: Iterable[int], deleted: Iterable[int]) -> None:
    """Rows written by Core behind the session: a loaded copy is reloaded or let go."""
    for ids, forget in ((updated, db.session.expire), (deleted, db.session.expunge)):
        for row_id in ids:
            loaded = db.session.identity_map.get(db.session.identity_key(ExpectedPayment, row_id))
            if loaded is not None:
                forget(loaded)


def ledger_row(
    payment: calc.ExpectedPayment, household_id: int | None, municipality_id: int, now: datetime
) -> dict[str, Any]:
    """The row of a new expected payment, as the set-based INSERTs write it."""
    return {
        # Set here: a set-based INSERT bypasses the before_flush hook that fills it in.
        "municipality_id": municipality_id,
        "household_id": household_id,
        "person_id": payment.person_id,
        "kind": str(payment.kind),
        "month": payment.month,
        "amount_sek": payment.amount_sek,
        "rule": payment.rule[:400],
        "rate_year": payment.rate_year,
        "age_used": payment.age_used,
        "created_at": now,
        "updated_at": now,
    }


def _insert(payments: list[tuple[_Diff, calc.ExpectedPayment]]) -> list[int]:
    """New ledger rows of every diff in one INSERT; their ids in the order given."""
    now = utcnow()
    rows = [ledger_row(payment, d.household_id, d.municipality_id, now) for d, payment in payments]
    inserted = bulk.insert_rows(
        ExpectedPayment,
        rows,
        returning=(
            ExpectedPayment.id,
            ExpectedPayment.household_id,
            ExpectedPayment.person_id,
            ExpectedPayment.kind,
            ExpectedPayment.month,
        ),
    )
    ids = {
        (household_id, *_key(person_id, kind, month)): row_id
        for row_id, household_id, person_id, kind, month in inserted
    }
    return [ids[(d.household_id, *_key(p.person_id, p.kind, p.month))] for d, p in payments]


def _stored_of(household_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
    """The stored ledger rows of the households, in one query (bulk.in_ids), by household."""
    found: dict[int, list[Row[Any]]] = {h: [] for h in household_ids}
    for condition in bulk.in_ids(ExpectedPayment.household_id, household_ids):
        # In id order: the rows no longer computed are deleted (and their history written)
        # in a stable order, not in whatever order the heap returns them after updates.
        for row in db.session.execute(
            select(*_STORED).where(condition).order_by(ExpectedPayment.id)
        ):
            found[row.household_id].append(row)
    return found


def _municipal_rows(year: int) -> list[Row[Any]]:
    """The stored fördelningstal payment of a year (no household)."""
    return list(
        db.session.execute(
            select(*_STORED).where(
                ExpectedPayment.household_id.is_(None),
                ExpectedPayment.kind == calc.PaymentKind.TP_PLACE,
                ExpectedPayment.month == date(year, 1, 1),
            )
        )
    )


def refresh(
    household: Household, reason: str, actor: User | None, rates: RateBook | None = None
) -> Refreshed:
    """Reconcile a household's stored expected payments with its current facts.

    Runs inside the caller's transaction (no commit), like checklist.recompute.
    """
    return refresh_many([household], reason, actor, rates)[household.id]


def refresh_many(
    households: Sequence[Household],
    reason: str,
    actor: User | None,
    rates: RateBook | None = None,
) -> dict[int, Refreshed]:
    """Reconcile the ledgers of several households at once; what changed, by household id.

    Each household's payments computed once by the pure calculator, their stored rows read
    in one query and written in at most three statements for all of them (see _write).
    The caller holds the households' locks, with their members loaded.
    """
    computed = {h.id: compute_household(h, rates) for h in households}
    db.session.flush()
    stored = _stored_of([h.id for h in households])
    diffs = [
        _diff(stored[h.id], computed[h.id].payments, h.id, h.municipality_id) for h in households
    ]
    _write(diffs, reason, actor)
    return {d.household_id: Refreshed(d.changes, computed[d.household_id].gaps) for d in diffs}


def expected_for_household(household_id: int) -> list[ExpectedPayment]:
    """The household's expected payments, in month order then person and kind."""
    return list(
        db.session.scalars(
            select(ExpectedPayment)
            .where(ExpectedPayment.household_id == household_id)
            .order_by(ExpectedPayment.month, ExpectedPayment.person_id, ExpectedPayment.kind)
        )
    )


# --- municipality-level payments -----------------------------------------------------------


def _year(data: Input, name: str = "year") -> int | None:
    return data.integer(name, required=True, minimum=FIRST_YEAR, maximum=LAST_YEAR)


def read_year(raw: Mapping[str, Any]) -> int:
    """A year from untrusted input (query string or form), or a ValidationError."""
    data = Input(raw)
    year = _year(data)
    data.raise_if_errors()
    assert year is not None
    return year


def get_allocation(year: int) -> AllocationYear | None:
    return db.session.scalar(select(AllocationYear).where(AllocationYear.year == year))


def list_allocations() -> list[AllocationYear]:
    return list(db.session.scalars(select(AllocationYear).order_by(AllocationYear.year)))


def set_allocation(year: int, raw: Mapping[str, Any], actor: User | None) -> AllocationYear:
    """Record the year's fördelningstal; the per-place payment follows at once."""
    data = Input({**raw, "year": year})
    checked_year = _year(data)
    places = data.integer("tp_places", required=True, minimum=0)
    note = data.text("note", max_length=300)
    data.raise_if_errors()
    assert checked_year is not None and places is not None
    try:
        wanted = calc.tp_place_payment(checked_year, places, rate_book())
    except MissingRateYearError as exc:
        raise ValidationError(
            [FieldError("year", _("No temporary-protection rates for this year: %(e)s", e=exc))]
        ) from exc
    allocation = get_allocation(checked_year)
    if allocation is None:
        allocation = AllocationYear(year=checked_year, tp_places=places)
        db.session.add(allocation)
    allocation.tp_places = places
    allocation.note = note
    allocation.updated_by_id = actor.id if actor else None
    db.session.flush()  # a new AllocationYear's municipality_id, filled in by tenancy
    _write(
        [_diff(_municipal_rows(checked_year), wanted, None, allocation.municipality_id)], "", actor
    )
    db.session.commit()
    return allocation


# --- forecast ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthTotal:
    month: date
    amount_sek: int
    by_kind: dict[str, int]


def forecast(year: int) -> list[MonthTotal]:
    """Expected kronor per month of ``year``, all twelve months, with the split by kind.

    Summed by the database: PostgreSQL returns a Decimal for SUM(bigint), which converts to
    int exactly; nothing passes through a float.
    """
    rows = db.session.execute(
        select(ExpectedPayment.month, ExpectedPayment.kind, func.sum(ExpectedPayment.amount_sek))
        .where(
            ExpectedPayment.month >= date(year, 1, 1), ExpectedPayment.month < date(year + 1, 1, 1)
        )
        .group_by(ExpectedPayment.month, ExpectedPayment.kind)
    ).all()
    by_month: dict[date, dict[str, int]] = {date(year, m, 1): {} for m in range(1, 13)}
    for month, kind, total in rows:
        by_month[month][kind] = int(total)
    return [
        MonthTotal(month, sum(kinds.values(), 0), dict(sorted(kinds.items())))
        for month, kinds in by_month.items()
    ]


# --- recompute everything --------------------------------------------------------------------


@dataclass
class RecomputeSummary:
    households: int = 0
    changed_households: int = 0
    changes: int = 0
    gaps: list[str] = field(default_factory=list)


def recompute_all(actor: User | None, rates: RateBook | None = None) -> RecomputeSummary:
    """Recompute every household of the bound municipality, e.g. after new rates.

    One transaction: either every household follows the new rates or none does.
    """
    reason = history.in_swedish(_l("Reimbursement rates changed"))
    summary = RecomputeSummary()
    # Every household locked, in id order (services/versions.py): a writer on one of them
    # waits rather than changing its ledger under this recomputation.
    households = db.session.scalars(
        select(Household)
        .options(selectinload(Household.members))
        .order_by(Household.id)
        .with_for_update(of=Household)
        .execution_options(populate_existing=True)
    ).all()
    with protection_rules.scenario_held():
        refreshed = refresh_many(households, reason, actor, rates)
    for household in households:
        changes = refreshed[household.id].changes
        summary.households += 1
        if changes:
            summary.changed_households += 1
            summary.changes += len(changes)
        summary.gaps += [f"{household.reference}: {gap}" for gap in refreshed[household.id].gaps]
    diffs = [
        _diff(
            _municipal_rows(allocation.year),
            calc.tp_place_payment(allocation.year, allocation.tp_places, rates or rate_book()),
            None,
            allocation.municipality_id,
        )
        for allocation in list_allocations()
    ]
    _write(diffs, reason, actor)
    summary.changes += sum(len(d.changes) for d in diffs)
    db.session.commit()
    return summary
