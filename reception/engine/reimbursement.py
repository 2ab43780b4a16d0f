"""Expected state reimbursements (schablonersättning) per person, as pure functions.

Every function returns a list of ExpectedPayment: what the municipality should expect
Migrationsverket to pay, so finance can reconcile the payment specifications against it.
Nothing is fetched or stored here; rates come from a RateBook (see rates.py).

Money is whole kronor (int). Shares and percentages are Decimals and every rounding is
half up to whole kronor; no float ever takes part.

Ages are completed years. Someone born on 29 February turns a year older on 1 March in
years without a 29 February (they have not yet reached (2, 29) on 28 February).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from reception.engine.protection import protection_end as first_day_without_protection
from reception.engine.rates import (
    AgeGroup,
    RateBook,
    Settlement,
    round_sek,
)

__all__ = [
    "ExpectedPayment",
    "PaymentKind",
    "age_on",
    "establishment_schedule",
    "initial_cost_payment",
    "sum_by_month",
    "total_sek",
    "tp_daily_payments",
    "tp_move_in_payment",
    "tp_person_payments",
    "tp_place_payment",
]


class PaymentKind(StrEnum):
    ESTABLISHMENT = "establishment"
    INITIAL_COST = "initial_cost"
    TP_PLACE = "tp_place"
    TP_MOVE_IN = "tp_move_in"
    TP_DAILY = "tp_daily"


@dataclass(frozen=True, slots=True)
class ExpectedPayment:
    """One expected payment.

    ``month`` is the first day of the month the payment belongs to: the payment month for
    the schablons, and for ``tp_daily`` the month the days were spent in (Migrationsverket
    pays those in arrears, so the money arrives later).
    """

    person_id: int | None
    kind: str
    month: date
    amount_sek: int
    rule: str
    rate_year: int
    age_used: int | None

    def __post_init__(self) -> None:
        # A float or Decimal slipping in here would silently break exact totals downstream.
        if type(self.amount_sek) is not int:
            raise TypeError(f"amount_sek must be int, not {type(self.amount_sek).__name__}")
        if self.month.day != 1:
            raise ValueError(f"month must be the first day of a month, not {self.month}")


# --- dates and ages ------------------------------------------------------------------------


def age_on(birth_date: date, on: date) -> int:
    """Completed years of age on the day ``on``."""
    if on < birth_date:
        raise ValueError(f"{on} is before the birth date {birth_date}")
    not_yet = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - int(not_yet)


def _birthday(birth_date: date, age: int) -> date:
    """The day the person reaches ``age``, consistent with age_on."""
    year = birth_date.year + age
    try:
        return birth_date.replace(year=year)
    except ValueError:
        return date(year, 3, 1)  # born 29 February, common year


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


def _shift_month(month_start: date, months: int) -> date:
    index = month_start.year * 12 + month_start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _kr(amount: int) -> str:
    return f"{amount:,}".replace(",", " ") + " kr"


def _rate_label(name: str, requested: int, used: int) -> str:
    if requested == used:
        return f"{name} {requested}"
    # A fallback must be visible to whoever reads the payment, not only in a log.
    return f"{name} {requested} (enligt {used} års belopp; {requested} saknas)"


# --- establishment schablon ----------------------------------------------------------------


def establishment_schedule(
    person_id: int | None,
    birth_date: date,
    reception_date: date,
    rates: RateBook,
    *,
    allow_fallback: bool = False,
) -> list[ExpectedPayment]:
    """Instalments of the etableringsschablon for one person.

    The amounts are those set for the year of ``reception_date`` (including that year's age
    limit). Instalment months and shares come from the instalment plan, counted from the
    reception month. Each instalment uses the amount for the person's age at the end of the
    month before the instalment's month, so someone reaching the age limit during the two
    years gets the lower amount's share from then on.

    Rounding: instalment k pays round(A × S_k) − round(A × S_(k-1)), where S is the running
    share and A the amount for the age at that instalment. With one age group throughout
    the instalments telescope to exactly A (e.g. 165 000 kr).

    Raises MissingRateYearError if no rates exist for the reception year, unless
    ``allow_fallback`` is set, in which case the latest earlier year is used and named in
    each payment's ``rule``.
    """
    if birth_date > reception_date:
        raise ValueError(f"birth date {birth_date} is after the reception date {reception_date}")
    requested = reception_date.year
    table = rates.establishment(requested, allow_fallback=allow_fallback)
    label = _rate_label("etableringsschablon", requested, table.year)
    plan = rates.instalments.instalments
    reception_month = _first_of_month(reception_date)
    payments: list[ExpectedPayment] = []
    running = Decimal(0)
    for number, instalment in enumerate(plan, start=1):
        month = _shift_month(reception_month, instalment.months_after_reception)
        counted_on = month - timedelta(days=1)
        age = age_on(birth_date, counted_on)
        full = table.amount_for_age(age)
        paid_before = round_sek(Decimal(full) * running)
        running += instalment.share
        amount = round_sek(Decimal(full) * running) - paid_before
        group = "under" if age < table.age_limit else "från"
        payments.append(
            ExpectedPayment(
                person_id=person_id,
                kind=PaymentKind.ESTABLISHMENT,
                month=month,
                amount_sek=amount,
                rule=(
                    f"{label}, delbelopp {number}/{len(plan)}: {instalment.share} × {_kr(full)} "
                    f"(ålder {age} den {counted_on}, {group} {table.age_limit} år)"
                ),
                rate_year=table.year,
                age_used=age,
            )
        )
    return payments


# --- initial-cost schablon -----------------------------------------------------------------

_GROUP_TEXT = {
    AgeGroup.UNDER_20: "under 20 år",
    AgeGroup.FROM_20_TO_AGE_LIMIT: "20 år till åldersgränsen",
    AgeGroup.AGE_LIMIT_AND_OVER: "åldersgränsen och äldre",
}
_SETTLEMENT_TEXT = {Settlement.ASSIGNED: "anvisad", Settlement.SELF_SETTLED: "egenbosatt"}


def initial_cost_payment(
    person_id: int | None,
    birth_date: date,
    reception_date: date,
    settlement: Settlement | str,
    rates: RateBook,
    *,
    allow_fallback: bool = False,
) -> list[ExpectedPayment]:
    """The initial-cost schablon for one person: zero or one payment.

    The age used is the person's age on the reception date: the ordinance ties this one-off
    payment to the reception, and the published groups ("barn och ungdomar under 20 år")
    describe the person as received. The year of the reception date picks the prisbasbelopp,
    the percentages and the age limit. Paid in the month after the reception date.

    ``settlement`` is ``assigned`` (resettled refugees and people from reception centres)
    or ``self_settled``. Self-settled people at or over the age limit get nothing.

    People received before the first modelled date (2024-07-01, from the data) follow older
    rules that Mottagning does not model: the result is an empty list, not an error.
    Raises MissingRateYearError for a later year without rates unless ``allow_fallback``.
    """
    kind = Settlement(settlement)
    if birth_date > reception_date:
        raise ValueError(f"birth date {birth_date} is after the reception date {reception_date}")
    rules_start = rates.initial_cost_rules_start
    if rules_start is None or reception_date < rules_start:
        return []
    requested = reception_date.year
    table = rates.initial_cost(requested, allow_fallback=allow_fallback)
    if reception_date < table.reception_from:
        return []
    age = age_on(birth_date, reception_date)
    group = table.age_group(age)
    amount = table.amount(kind, group)
    if not amount:
        return []
    percent = table.percent[(kind, group)]
    label = _rate_label("schablon för initiala kostnader", requested, table.year)
    return [
        ExpectedPayment(
            person_id=person_id,
            kind=PaymentKind.INITIAL_COST,
            month=_shift_month(_first_of_month(reception_date), 1),
            amount_sek=amount,
            rule=(
                f"{label}, {_SETTLEMENT_TEXT[kind]}, {_GROUP_TEXT[group]} "
                f"(ålder {age} vid mottagandet, gräns {table.age_limit}): {percent} % av "
                f"prisbasbeloppet {_kr(table.prisbasbelopp_sek)}"
            ),
            rate_year=table.year,
            age_used=age,
        )
    ]


# --- temporary protection ------------------------------------------------------------------


def tp_daily_payments(
    person_id: int | None,
    birth_date: date,
    move_in: date,
    rates: RateBook,
    *,
    move_out: date | None = None,
    registered: date | None = None,
    protection_end: date | None = None,
) -> list[ExpectedPayment]:
    """Daily compensation for one person in the municipality's housing, summed per month.

    Days are counted from ``move_in`` (included) up to the day before the earliest of
    ``move_out``, ``registered`` (folkbokföring) and ``protection_end``. ``protection_end``
    is the first day without protection (e.g. 2026-10-01 makes 2026-09-30 the last paid
    day); by default it is the day after ``permits_valid_through`` in the newest rate file,
    so the last day of the permits (2027-03-04) is still paid.

    The adult rate applies from the day of the 18th birthday (``adult_age`` in the data);
    a month with that birthday gets the mixed sum. Each month uses the rates in force in
    that year. ``age_used`` is the age on the first paid day of the month.
    """
    if birth_date > move_in:
        raise ValueError(f"birth date {birth_date} is after the move-in date {move_in}")
    stop = min(
        d
        for d in (
            move_out,
            registered,
            first_day_without_protection(protection_end, rates.protection_valid_through),
        )
        if d is not None
    )
    if stop <= move_in:
        return []
    payments: list[ExpectedPayment] = []
    month = _first_of_month(move_in)
    while month < stop:
        next_month = _shift_month(month, 1)
        start = max(month, move_in)
        end = min(next_month, stop)  # exclusive
        table = rates.temporary_protection(month.year)
        adult_from = _birthday(birth_date, table.adult_age)
        split = min(max(adult_from, start), end)
        child_days = (split - start).days
        adult_days = (end - split).days
        parts = []
        if child_days:
            parts.append(f"{child_days} dygn × {_kr(table.daily_child_sek)} (barn)")
        if adult_days:
            parts.append(f"{adult_days} dygn × {_kr(table.daily_adult_sek)} (vuxen)")
        payments.append(
            ExpectedPayment(
                person_id=person_id,
                kind=PaymentKind.TP_DAILY,
                month=month,
                amount_sek=child_days * table.daily_child_sek + adult_days * table.daily_adult_sek,
                rule=(
                    f"dygnsschablon tillfälligt skydd {month:%Y-%m} "
                    f"({table.year} års belopp): {' + '.join(parts)}, "
                    f"{start} till och med {end - timedelta(days=1)}"
                ),
                rate_year=table.year,
                age_used=age_on(birth_date, start),
            )
        )
        month = next_month
    return payments


def tp_move_in_payment(
    person_id: int | None,
    move_in: date,
    rates: RateBook,
    *,
    protection_end: date | None = None,
) -> list[ExpectedPayment]:
    """The one-off payment when a person moves into the municipality's housing.

    Booked in the month of the move-in. Nothing if the move-in is on or after the end of
    protection (see tp_daily_payments for ``protection_end``).
    """
    if move_in >= first_day_without_protection(protection_end, rates.protection_valid_through):
        return []
    table = rates.temporary_protection(move_in.year)
    return [
        ExpectedPayment(
            person_id=person_id,
            kind=PaymentKind.TP_MOVE_IN,
            month=_first_of_month(move_in),
            amount_sek=table.move_in_sek,
            rule=(
                f"tillfälligt skydd, inflyttning {move_in} ({table.year} års belopp): "
                f"{_kr(table.move_in_sek)}"
            ),
            rate_year=table.year,
            age_used=None,
        )
    ]


def tp_person_payments(
    person_id: int | None,
    birth_date: date,
    move_in: date,
    rates: RateBook,
    *,
    move_out: date | None = None,
    registered: date | None = None,
    protection_end: date | None = None,
) -> list[ExpectedPayment]:
    """Move-in payment plus daily compensation for one person, in month order."""
    return tp_move_in_payment(
        person_id, move_in, rates, protection_end=protection_end
    ) + tp_daily_payments(
        person_id,
        birth_date,
        move_in,
        rates,
        move_out=move_out,
        registered=registered,
        protection_end=protection_end,
    )


def tp_place_payment(year: int, places: int, rates: RateBook) -> list[ExpectedPayment]:
    """The payment per fördelningstal place, booked in January of ``year``."""
    if type(places) is not int or places < 0:
        raise ValueError(f"places must be a non-negative int, not {places!r}")
    if places == 0:
        return []
    table = rates.temporary_protection(year)
    return [
        ExpectedPayment(
            person_id=None,
            kind=PaymentKind.TP_PLACE,
            month=date(year, 1, 1),
            amount_sek=places * table.place_sek,
            rule=(
                f"tillfälligt skydd, fördelningstal {year} ({table.year} års belopp): "
                f"{places} platser × {_kr(table.place_sek)}"
            ),
            rate_year=table.year,
            age_used=None,
        )
    ]


# --- summing -------------------------------------------------------------------------------


def sum_by_month(payments: Iterable[ExpectedPayment]) -> dict[date, int]:
    """Total kronor per month (first day of the month), in month order."""
    totals: dict[date, int] = {}
    for payment in payments:
        totals[payment.month] = totals.get(payment.month, 0) + payment.amount_sek
    return dict(sorted(totals.items()))


def total_sek(payments: Iterable[ExpectedPayment]) -> int:
    return sum((p.amount_sek for p in payments), 0)
