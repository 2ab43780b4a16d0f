"""Expected reimbursements, checked against amounts and dates worked out by hand."""

from __future__ import annotations

import random
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from reception.engine.rates import MissingRateYearError, RateBook, Settlement, load_rates
from reception.engine.reimbursement import (
    ExpectedPayment,
    PaymentKind,
    age_on,
    establishment_schedule,
    initial_cost_payment,
    sum_by_month,
    total_sek,
    tp_daily_payments,
    tp_move_in_payment,
    tp_person_payments,
    tp_place_payment,
)

RATES_DIR = Path(__file__).resolve().parents[2] / "rates"


@pytest.fixture(scope="module")
def book() -> RateBook:
    return load_rates(RATES_DIR)


def _amounts_by_month(payments: list[ExpectedPayment]) -> dict[date, int]:
    return {p.month: p.amount_sek for p in payments}


# --- the household acceptance case ---------------------------------------------------------

RECEIVED = date(2026, 4, 20)
# Ages on 2026-04-20: 35, 33, 12 and 4; nobody crosses 20 or 67 within the two years.
HOUSEHOLD = {
    1: date(1990, 8, 12),
    2: date(1992, 11, 3),
    3: date(2013, 6, 30),
    4: date(2021, 9, 15),
}


def test_household_ages_are_as_described() -> None:
    assert [age_on(b, RECEIVED) for b in HOUSEHOLD.values()] == [35, 33, 12, 4]


def test_household_initial_cost_is_61_982(book: RateBook) -> None:
    payments = [
        p
        for person_id, birth in HOUSEHOLD.items()
        for p in initial_cost_payment(person_id, birth, RECEIVED, Settlement.ASSIGNED, book)
    ]
    assert [p.amount_sek for p in payments] == [20_661, 20_661, 10_330, 10_330]
    assert total_sek(payments) == 2 * 20_661 + 2 * 10_330 == 61_982
    # Paid in the month after the reception date.
    assert {p.month for p in payments} == {date(2026, 5, 1)}
    assert all(p.kind == "initial_cost" and p.rate_year == 2026 for p in payments)
    assert [p.age_used for p in payments] == [35, 33, 12, 4]


def test_household_establishment_is_660_000_from_may_2026(book: RateBook) -> None:
    payments = [
        p
        for person_id, birth in HOUSEHOLD.items()
        for p in establishment_schedule(person_id, birth, RECEIVED, book)
    ]
    assert total_sek(payments) == 4 * 165_000 == 660_000
    assert min(p.month for p in payments) == date(2026, 5, 1)
    for person_id in HOUSEHOLD:
        own = [p for p in payments if p.person_id == person_id]
        assert total_sek(own) == 165_000
        assert own[0].month == date(2026, 5, 1)
    assert all(p.kind == PaymentKind.ESTABLISHMENT and p.rate_year == 2026 for p in payments)


def test_household_schedule_with_the_default_plan(book: RateBook) -> None:
    establishment = [
        p
        for person_id, birth in HOUSEHOLD.items()
        for p in establishment_schedule(person_id, birth, RECEIVED, book)
    ]
    initial = [
        p
        for person_id, birth in HOUSEHOLD.items()
        for p in initial_cost_payment(person_id, birth, RECEIVED, "assigned", book)
    ]
    # Default plan: a quarter in months 1, 7, 13 and 19 after April 2026.
    assert sum_by_month(establishment + initial) == {
        date(2026, 5, 1): 4 * 41_250 + 61_982,
        date(2026, 11, 1): 4 * 41_250,
        date(2027, 5, 1): 4 * 41_250,
        date(2027, 11, 1): 4 * 41_250,
    }
    first = establishment[0]
    assert first.rule.startswith("etableringsschablon 2026, delbelopp 1/4")
    # Age is counted at the end of the month before the payment month.
    assert "2026-04-30" in first.rule


# --- single-person acceptance cases --------------------------------------------------------


def test_person_aged_67_received_in_2026(book: RateBook) -> None:
    birth = date(1959, 1, 10)
    assert age_on(birth, RECEIVED) == 67
    establishment = establishment_schedule(9, birth, RECEIVED, book)
    assert total_sek(establishment) == 92_600
    assert [p.amount_sek for p in establishment] == [23_150] * 4
    initial = initial_cost_payment(9, birth, RECEIVED, Settlement.ASSIGNED, book)
    assert [p.amount_sek for p in initial] == [12_917]


def test_self_settled_amounts(book: RateBook) -> None:
    adult = initial_cost_payment(5, date(1996, 2, 2), RECEIVED, Settlement.SELF_SETTLED, book)
    assert [p.amount_sek for p in adult] == [4_132]
    child = initial_cost_payment(6, date(2015, 2, 2), RECEIVED, "self_settled", book)
    assert [p.amount_sek for p in child] == [3_102]
    # Self-settled at or over the age limit: nothing.
    assert initial_cost_payment(7, date(1950, 2, 2), RECEIVED, "self_settled", book) == []


def test_unknown_settlement_kind_is_rejected(book: RateBook) -> None:
    with pytest.raises(ValueError):
        initial_cost_payment(5, date(1996, 2, 2), RECEIVED, "self-settled", book)


def test_initial_cost_uses_age_on_the_reception_date(book: RateBook) -> None:
    # Turns 20 on 2026-04-21, the day after reception: still "under 20".
    before = initial_cost_payment(1, date(2006, 4, 21), RECEIVED, "assigned", book)
    assert [(p.amount_sek, p.age_used) for p in before] == [(10_330, 19)]
    # Turns 20 on the reception day itself: the adult amount.
    on_day = initial_cost_payment(1, date(2006, 4, 20), RECEIVED, "assigned", book)
    assert [(p.amount_sek, p.age_used) for p in on_day] == [(20_661, 20)]


def test_initial_cost_before_july_2024_is_not_modelled(book: RateBook) -> None:
    birth = date(1990, 1, 1)
    assert initial_cost_payment(1, birth, date(2024, 6, 30), "assigned", book) == []
    assert initial_cost_payment(1, birth, date(2023, 3, 1), "assigned", book) == []
    from_july = initial_cost_payment(1, birth, date(2024, 7, 1), "assigned", book)
    assert [(p.amount_sek, p.month, p.rate_year) for p in from_july] == [
        (19_998, date(2024, 8, 1), 2024)
    ]


def test_reception_in_december_pays_in_january(book: RateBook) -> None:
    payments = initial_cost_payment(1, date(1990, 1, 1), date(2026, 12, 31), "assigned", book)
    assert payments[0].month == date(2027, 1, 1)
    schedule = establishment_schedule(1, date(1990, 1, 1), date(2026, 12, 31), book)
    assert schedule[0].month == date(2027, 1, 1)
    assert schedule[-1].month == date(2028, 7, 1)


# --- establishment: age at the end of the month before each instalment ---------------------


def test_turning_67_during_the_two_years_lowers_later_instalments(book: RateBook) -> None:
    # 66 on reception; 67 on 2027-01-15, so from the 2027-05 instalment (age on 2027-04-30).
    payments = establishment_schedule(1, date(1960, 1, 15), RECEIVED, book)
    assert [(p.month, p.amount_sek, p.age_used) for p in payments] == [
        (date(2026, 5, 1), 41_250, 66),
        (date(2026, 11, 1), 41_250, 66),
        (date(2027, 5, 1), 23_150, 67),
        (date(2027, 11, 1), 23_150, 67),
    ]
    assert total_sek(payments) == 128_800


def test_birthday_on_the_last_day_of_the_previous_month_counts(book: RateBook) -> None:
    # Turns 67 on 2026-10-31, the day the age for the 2026-11 instalment is counted.
    payments = establishment_schedule(1, date(1959, 10, 31), RECEIVED, book)
    assert [p.amount_sek for p in payments] == [41_250, 23_150, 23_150, 23_150]
    # One day later and the November instalment is still the higher one.
    payments = establishment_schedule(1, date(1959, 11, 1), RECEIVED, book)
    assert [p.amount_sek for p in payments] == [41_250, 41_250, 23_150, 23_150]


def test_age_limit_is_that_of_the_reception_year(book: RateBook) -> None:
    # Received 2024 (limit 66): turning 66 in 2025 lowers the amount although 2026's is 67.
    payments = establishment_schedule(1, date(1959, 3, 1), date(2024, 9, 10), book)
    assert [p.amount_sek for p in payments] == [41_250, 23_150, 23_150, 23_150]
    assert {p.rate_year for p in payments} == {2024}


def test_older_years_amounts(book: RateBook) -> None:
    payments = establishment_schedule(1, date(1980, 1, 1), date(2019, 5, 5), book)
    assert total_sek(payments) == 142_600
    assert [p.amount_sek for p in payments] == [35_650] * 4
    payments = establishment_schedule(1, date(1950, 1, 1), date(2022, 5, 5), book)
    assert total_sek(payments) == 85_200


def test_rounding_remainder_keeps_the_total_exact(tmp_path: Path) -> None:
    root = tmp_path / "rates"
    shutil.copytree(RATES_DIR, root)
    (root / "instalments.yaml").write_text(
        "status: assumption\n"
        "instalments:\n"
        "  - {months_after_reception: 1, share: '0.3333'}\n"
        "  - {months_after_reception: 9, share: '0.3333'}\n"
        "  - {months_after_reception: 17, share: '0.3334'}\n"
        "source: test plan with shares that do not divide the amounts evenly\n",
        encoding="utf-8",
    )
    thirds = load_rates(root)
    # 92 600 × 0.3333 = 30 863.58 → 30 864; × 0.6666 = 61 727.16 → 61 727 (30 863 more);
    # the last instalment takes the rest: 92 600 − 61 727 = 30 873.
    old = establishment_schedule(1, date(1950, 1, 1), RECEIVED, thirds)
    assert [p.amount_sek for p in old] == [30_864, 30_863, 30_873]
    assert total_sek(old) == 92_600
    # 165 000 × 0.3333 = 54 994.5 → 54 995 (half up); × 0.6666 = 109 989.
    young = establishment_schedule(1, date(1990, 1, 1), RECEIVED, thirds)
    assert [p.amount_sek for p in young] == [54_995, 54_994, 55_011]
    assert total_sek(young) == 165_000
    assert young[0].rule.startswith("etableringsschablon 2026, delbelopp 1/3")


def test_missing_reception_year_raises_unless_fallback_is_allowed(book: RateBook) -> None:
    birth = date(1990, 1, 1)
    with pytest.raises(MissingRateYearError, match="2025"):
        establishment_schedule(1, birth, date(2025, 6, 1), book)
    with pytest.raises(MissingRateYearError, match="2025"):
        initial_cost_payment(1, birth, date(2025, 6, 1), "assigned", book)

    payments = establishment_schedule(1, birth, date(2025, 6, 1), book, allow_fallback=True)
    assert total_sek(payments) == 165_000
    assert {p.rate_year for p in payments} == {2024}
    assert "2025 (enligt 2024 års belopp; 2025 saknas)" in payments[0].rule
    initial = initial_cost_payment(
        1, birth, date(2025, 6, 1), "assigned", book, allow_fallback=True
    )
    assert [(p.amount_sek, p.rate_year) for p in initial] == [(19_998, 2024)]

    with pytest.raises(MissingRateYearError):
        establishment_schedule(1, birth, date(2018, 6, 1), book, allow_fallback=True)


def test_birth_after_reception_is_an_error(book: RateBook) -> None:
    with pytest.raises(ValueError):
        establishment_schedule(1, date(2026, 5, 1), RECEIVED, book)


# --- temporary protection ------------------------------------------------------------------


def test_tp_adult_moving_in_january_registered_in_july(book: RateBook) -> None:
    payments = tp_person_payments(
        1, date(1985, 6, 1), date(2026, 1, 15), book, registered=date(2026, 7, 1)
    )
    move_in = [p for p in payments if p.kind == PaymentKind.TP_MOVE_IN]
    assert [(p.month, p.amount_sek) for p in move_in] == [(date(2026, 1, 1), 15_000)]
    daily = [p for p in payments if p.kind == PaymentKind.TP_DAILY]
    assert _amounts_by_month(daily) == {
        date(2026, 1, 1): 17 * 300,  # 15-31 January
        date(2026, 2, 1): 28 * 300,
        date(2026, 3, 1): 31 * 300,
        date(2026, 4, 1): 30 * 300,
        date(2026, 5, 1): 31 * 300,
        date(2026, 6, 1): 30 * 300,  # last paid day 30 June
    }
    assert _amounts_by_month(daily)[date(2026, 1, 1)] == 5_100
    assert _amounts_by_month(daily)[date(2026, 2, 1)] == 8_400
    assert _amounts_by_month(daily)[date(2026, 6, 1)] == 9_000
    assert total_sek(daily) == 167 * 300 == 50_100  # 17 + 28 + 31 + 30 + 31 + 30 days
    assert sum_by_month(payments)[date(2026, 1, 1)] == 20_100


def test_tp_child_turning_18_mid_month_gets_the_mixed_sum(book: RateBook) -> None:
    # Turns 18 on 2026-03-10: 1-9 March as a child, 10-31 March as an adult.
    payments = tp_daily_payments(
        1, date(2008, 3, 10), date(2026, 1, 15), book, registered=date(2026, 7, 1)
    )
    by_month = _amounts_by_month(payments)
    assert by_month[date(2026, 1, 1)] == 17 * 150
    assert by_month[date(2026, 2, 1)] == 28 * 150
    assert by_month[date(2026, 3, 1)] == 9 * 150 + 22 * 300 == 7_950
    assert by_month[date(2026, 4, 1)] == 30 * 300
    march = next(p for p in payments if p.month == date(2026, 3, 1))
    assert "9 dygn × 150 kr (barn) + 22 dygn × 300 kr (vuxen)" in march.rule


def test_tp_child_born_29_february_becomes_adult_on_1_march(book: RateBook) -> None:
    payments = tp_daily_payments(
        1, date(2008, 2, 29), date(2026, 2, 1), book, move_out=date(2026, 4, 1)
    )
    assert _amounts_by_month(payments) == {
        date(2026, 2, 1): 28 * 150,
        date(2026, 3, 1): 31 * 300,
    }


def test_tp_end_of_protection_moved_to_1_october(book: RateBook) -> None:
    payments = tp_daily_payments(
        1, date(1985, 6, 1), date(2026, 1, 15), book, protection_end=date(2026, 10, 1)
    )
    assert max(p.month for p in payments) == date(2026, 9, 1)
    last = payments[-1]
    assert last.amount_sek == 30 * 300
    assert "till och med 2026-09-30" in last.rule


def test_tp_default_end_pays_the_last_day_of_the_permits(book: RateBook) -> None:
    payments = tp_daily_payments(1, date(1985, 6, 1), date(2026, 1, 15), book)
    last = payments[-1]
    # Permits run "till och med 4 mars 2027": 1-4 March 2027 are paid.
    assert (last.month, last.amount_sek, last.rate_year) == (date(2027, 3, 1), 4 * 300, 2026)
    # 15 Jan 2026 to 4 Mar 2027 inclusive.
    days = (date(2027, 3, 5) - date(2026, 1, 15)).days
    assert total_sek(payments) == days * 300


def test_tp_earliest_stop_wins_and_the_stop_day_is_not_paid(book: RateBook) -> None:
    payments = tp_daily_payments(
        1,
        date(1985, 6, 1),
        date(2026, 5, 30),
        book,
        move_out=date(2026, 6, 2),
        registered=date(2026, 8, 1),
    )
    # 30 and 31 May, 1 June; the move-out day 2 June is not paid.
    assert _amounts_by_month(payments) == {date(2026, 5, 1): 600, date(2026, 6, 1): 300}


def test_tp_no_days_when_the_stop_is_on_the_move_in_day(book: RateBook) -> None:
    assert (
        tp_daily_payments(
            1, date(1985, 6, 1), date(2026, 5, 30), book, registered=date(2026, 5, 30)
        )
        == []
    )


def test_tp_move_in_after_end_of_protection_pays_nothing(book: RateBook) -> None:
    assert tp_move_in_payment(1, date(2027, 3, 5), book) == []
    assert [p.amount_sek for p in tp_move_in_payment(1, date(2027, 3, 4), book)] == [15_000]
    assert tp_move_in_payment(1, date(2026, 10, 1), book, protection_end=date(2026, 10, 1)) == []


def test_tp_places_paid_in_january(book: RateBook) -> None:
    payments = tp_place_payment(2026, 9, book)
    assert [(p.person_id, p.kind, p.month, p.amount_sek) for p in payments] == [
        (None, "tp_place", date(2026, 1, 1), 90_000)
    ]
    assert tp_place_payment(2026, 0, book) == []
    with pytest.raises(ValueError):
        tp_place_payment(2026, -1, book)


# --- the payment record itself -------------------------------------------------------------


def test_expected_payment_refuses_non_int_amounts() -> None:
    fields = {
        "person_id": 1,
        "kind": "establishment",
        "month": date(2026, 5, 1),
        "rule": "test",
        "rate_year": 2026,
        "age_used": 30,
    }
    ExpectedPayment(amount_sek=1, **fields)
    for bad in (1.0, Decimal(1), True, "1"):
        with pytest.raises(TypeError):
            ExpectedPayment(amount_sek=bad, **fields)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ExpectedPayment(amount_sek=1, **{**fields, "month": date(2026, 5, 2)})


def test_sum_by_month_is_sorted_and_int(book: RateBook) -> None:
    payments = tp_place_payment(2026, 2, book) + establishment_schedule(
        1, date(1990, 1, 1), date(2025, 11, 3), book, allow_fallback=True
    )
    totals = sum_by_month(reversed(payments))
    assert list(totals) == sorted(totals)
    assert totals[date(2026, 1, 1)] == 20_000
    assert totals[date(2025, 12, 1)] == 41_250
    assert all(type(v) is int for v in totals.values())


# --- many generated households -------------------------------------------------------------

_BASIS_POINTS = {
    # (settlement, group) -> hundredths of a percent, from rules.md §3.
    ("assigned", 0): 1745,
    ("assigned", 1): 3490,
    ("assigned", 2): 2182,
    ("self_settled", 0): 524,
    ("self_settled", 1): 698,
}
_PBB = {2024: 57_300, 2025: 57_300, 2026: 59_200}  # 2025 falls back to 2024
_LIMIT = {2024: 66, 2025: 66, 2026: 67}
_ESTABLISHMENT = {2024: (165_000, 92_600), 2025: (165_000, 92_600), 2026: (165_000, 92_600)}


def _expected_initial(settlement: str, age: int, year: int) -> int:
    group = 0 if age < 20 else 1 if age < _LIMIT[year] else 2
    points = _BASIS_POINTS.get((settlement, group))
    if points is None:
        return 0
    # Integer half-up rounding of pbb × points / 10 000, independent of the Decimal code.
    return (_PBB[year] * points + 5_000) // 10_000


def _expected_tp_days(birth: date, start: date, stop: date) -> int:
    total = 0
    day = start
    while day < stop:
        total += 300 if age_on(birth, day) >= 18 else 150
        day += timedelta(days=1)
    return total


def _random_date(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def test_ten_thousand_generated_households_are_exact(book: RateBook) -> None:
    rng = random.Random(20260420)
    everything: list[ExpectedPayment] = []
    expected_total = 0
    for household in range(10_000):
        if household % 5 == 0:
            # A temporary-protection household in the municipality's housing.
            move_in = _random_date(rng, date(2026, 1, 1), date(2026, 12, 31))
            registered = move_in + timedelta(days=rng.randrange(1, 500))
            protection_end = rng.choice([None, date(2026, 10, 1)])
            stop = min(registered, protection_end or date(2027, 3, 5))
            for member in range(rng.randint(1, 5)):
                birth = _random_date(rng, date(1950, 1, 1), move_in)
                person_id = household * 10 + member
                payments = tp_person_payments(
                    person_id,
                    birth,
                    move_in,
                    book,
                    registered=registered,
                    protection_end=protection_end,
                )
                everything += payments
                if move_in < stop:
                    expected_total += 15_000 + _expected_tp_days(birth, move_in, stop)
            places = rng.randint(0, 12)
            everything += tp_place_payment(2026, places, book)
            expected_total += places * 10_000
            continue

        received = _random_date(rng, date(2024, 7, 1), date(2026, 12, 31))
        settlement = rng.choice(["assigned", "assigned", "self_settled"])
        for member in range(rng.randint(1, 7)):
            birth = _random_date(rng, date(1940, 1, 1), received)
            person_id = household * 10 + member
            age = age_on(birth, received)
            initial = initial_cost_payment(
                person_id, birth, received, settlement, book, allow_fallback=True
            )
            schedule = establishment_schedule(person_id, birth, received, book, allow_fallback=True)
            everything += initial + schedule
            expected_total += _expected_initial(settlement, age, received.year)
            under, over = _ESTABLISHMENT[received.year]
            ages = [p.age_used for p in schedule]
            assert all(a is not None for a in ages)
            limit = _LIMIT[received.year]
            if all(a is not None and a < limit for a in ages):
                assert total_sek(schedule) == under
            elif all(a is not None and a >= limit for a in ages):
                assert total_sek(schedule) == over
            # With the default quarters every instalment is exactly a quarter of its amount.
            expected_total += sum(
                (under if a is not None and a < limit else over) // 4 for a in ages
            )

    assert all(type(p.amount_sek) is int for p in everything)
    monthly = sum_by_month(everything)
    assert all(type(v) is int for v in monthly.values())
    grand_total = total_sek(everything)
    assert type(grand_total) is int
    assert grand_total == expected_total == sum(monthly.values())
