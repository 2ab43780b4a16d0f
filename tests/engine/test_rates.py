"""Rate files: the shipped data, the loader's validation and the year lookups."""

from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from reception.engine.rates import (
    AgeGroup,
    MissingRateYearError,
    RateBook,
    RateFileError,
    Settlement,
    load_rates,
)

RATES_DIR = Path(__file__).resolve().parents[2] / "rates"
SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "reception" / "engine" / "schemas"


@pytest.fixture(scope="module")
def book() -> RateBook:
    return load_rates(RATES_DIR)


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "rates"
    shutil.copytree(RATES_DIR, target)
    return target


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- the shipped data ----------------------------------------------------------------------


def test_establishment_table_matches_rules_md(book: RateBook) -> None:
    expected = {
        2019: (142_600, 82_100, 65),
        2020: (146_100, 82_100, 65),
        2022: (151_800, 85_200, 65),
        2023: (165_000, 92_600, 66),
        2024: (165_000, 92_600, 66),
        2026: (165_000, 92_600, 67),
    }
    assert book.establishment_years == tuple(expected)
    for year, (under, over, limit) in expected.items():
        rates = book.establishment(year)
        assert (rates.under_age_limit_sek, rates.at_or_over_age_limit_sek, rates.age_limit) == (
            under,
            over,
            limit,
        )
        assert type(rates.under_age_limit_sek) is int
        assert rates.source


def test_establishment_amount_switches_at_the_age_limit(book: RateBook) -> None:
    rates = book.establishment(2026)
    assert rates.amount_for_age(66) == 165_000
    assert rates.amount_for_age(67) == 92_600


def test_initial_cost_amounts_match_the_published_tables(book: RateBook) -> None:
    # rules.md §3; the 2026 self-settled amounts are the computed ones.
    expected = {
        2024: (9_999, 19_998, 12_503, 3_003, 4_000),
        2026: (10_330, 20_661, 12_917, 3_102, 4_132),
    }
    for year, (a_u20, a_adult, a_old, s_u20, s_adult) in expected.items():
        rates = book.initial_cost(year)
        assert rates.amount(Settlement.ASSIGNED, AgeGroup.UNDER_20) == a_u20
        assert rates.amount(Settlement.ASSIGNED, AgeGroup.FROM_20_TO_AGE_LIMIT) == a_adult
        assert rates.amount(Settlement.ASSIGNED, AgeGroup.AGE_LIMIT_AND_OVER) == a_old
        assert rates.amount(Settlement.SELF_SETTLED, AgeGroup.UNDER_20) == s_u20
        assert rates.amount(Settlement.SELF_SETTLED, AgeGroup.FROM_20_TO_AGE_LIMIT) == s_adult
        assert rates.amount(Settlement.SELF_SETTLED, AgeGroup.AGE_LIMIT_AND_OVER) is None


def test_initial_cost_percentages_are_decimals_and_rules_start_mid_2024(book: RateBook) -> None:
    rates = book.initial_cost(2026)
    assert rates.percent[(Settlement.ASSIGNED, AgeGroup.UNDER_20)] == Decimal("17.45")
    assert all(p is None or type(p) is Decimal for p in rates.percent.values())
    assert book.initial_cost(2024).reception_from == date(2024, 7, 1)
    assert rates.reception_from == date(2026, 1, 1)
    assert book.initial_cost_rules_start == date(2024, 7, 1)


def test_initial_cost_age_groups(book: RateBook) -> None:
    rates = book.initial_cost(2026)
    assert rates.age_group(19) is AgeGroup.UNDER_20
    assert rates.age_group(20) is AgeGroup.FROM_20_TO_AGE_LIMIT
    assert rates.age_group(66) is AgeGroup.FROM_20_TO_AGE_LIMIT
    assert rates.age_group(67) is AgeGroup.AGE_LIMIT_AND_OVER
    assert book.initial_cost(2024).age_group(66) is AgeGroup.AGE_LIMIT_AND_OVER


def test_default_instalment_plan_is_four_equal_half_yearly_instalments(book: RateBook) -> None:
    plan = book.instalments
    assert plan.status == "assumption"
    assert [i.months_after_reception for i in plan.instalments] == [1, 7, 13, 19]
    assert [i.share for i in plan.instalments] == [Decimal("0.25")] * 4
    assert sum(i.share for i in plan.instalments) == 1


def test_temporary_protection_2026(book: RateBook) -> None:
    rates = book.temporary_protection(2026)
    assert (rates.place_sek, rates.move_in_sek) == (10_000, 15_000)
    assert (rates.daily_adult_sek, rates.daily_child_sek, rates.adult_age) == (300, 150, 18)
    assert rates.permits_valid_through == date(2027, 3, 4)
    assert book.protection_valid_through == date(2027, 3, 4)


def test_schemas_are_valid_draft_2020_12() -> None:
    for name in (
        "rates-establishment.schema.json",
        "rates-initial-cost.schema.json",
        "rates-instalments.schema.json",
        "rates-temporary-protection.schema.json",
    ):
        Draft202012Validator.check_schema(json.loads((SCHEMAS_DIR / name).read_text("utf-8")))


# --- year lookups --------------------------------------------------------------------------


def test_missing_establishment_year_raises_with_a_clear_message(book: RateBook) -> None:
    with pytest.raises(MissingRateYearError) as caught:
        book.establishment(2025)
    assert caught.value.year == 2025
    assert "rates/establishment/2025.yaml" in str(caught.value)
    assert "2024" in str(caught.value)  # lists what is available


def test_fallback_takes_the_latest_earlier_year_only_when_asked(book: RateBook) -> None:
    assert book.establishment(2025, allow_fallback=True).year == 2024
    assert book.establishment(2021, allow_fallback=True).year == 2020
    assert book.initial_cost(2025, allow_fallback=True).year == 2024
    with pytest.raises(MissingRateYearError):
        book.establishment(2018, allow_fallback=True)
    with pytest.raises(MissingRateYearError):
        book.initial_cost(2025)


def test_temporary_protection_rates_stay_in_force_until_replaced(book: RateBook) -> None:
    assert book.temporary_protection(2027).year == 2026
    with pytest.raises(MissingRateYearError):
        book.temporary_protection(2025)


def test_next_years_file_needs_no_code_change(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    text = (root / "establishment" / "2026.yaml").read_text("utf-8")
    text = text.replace("year: 2026", "year: 2027").replace("165000", "170000")
    (root / "establishment" / "2027.yaml").write_text(text, encoding="utf-8")
    book = load_rates(root)
    assert book.establishment(2027).under_age_limit_sek == 170_000
    assert book.establishment_years[-1] == 2027


# --- invalid files -------------------------------------------------------------------------


def test_amount_written_with_a_space_names_file_and_field(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "establishment" / "2026.yaml"
    _replace(path, "under_age_limit_sek: 165000", "under_age_limit_sek: 165 000")
    with pytest.raises(RateFileError) as caught:
        load_rates(root)
    assert caught.value.path == path
    assert caught.value.field == "under_age_limit_sek"
    assert "2026.yaml" in str(caught.value)
    assert "under_age_limit_sek" in str(caught.value)


def test_unquoted_percentage_is_refused_as_a_float(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "initial-cost" / "2026.yaml"
    _replace(path, 'under_20: "17.45"', "under_20: 17.45")
    with pytest.raises(RateFileError, match="float") as caught:
        load_rates(root)
    assert caught.value.path == path


def test_float_amount_is_refused(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _replace(root / "temporary-protection" / "2026.yaml", "place_sek: 10000", "place_sek: 10000.0")
    with pytest.raises(RateFileError, match="float"):
        load_rates(root)


def test_missing_field_is_named(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _replace(root / "establishment" / "2024.yaml", "age_limit: 66\n", "")
    with pytest.raises(RateFileError) as caught:
        load_rates(root)
    assert caught.value.field == "age_limit"
    assert "2024.yaml" in str(caught.value)


def test_misspelt_field_is_named(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _replace(root / "temporary-protection" / "2026.yaml", "daily_child_sek:", "daily_kid_sek:")
    with pytest.raises(RateFileError) as caught:
        load_rates(root)
    assert caught.value.field in {"daily_kid_sek", "daily_child_sek"}


def test_nested_field_is_named_with_its_path(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _replace(
        root / "initial-cost" / "2026.yaml",
        'from_20_to_age_limit: "6.98"',
        'from_20_to_age_limit: "6,98"',
    )
    with pytest.raises(RateFileError) as caught:
        load_rates(root)
    assert caught.value.field == "percent_of_prisbasbelopp.self_settled.from_20_to_age_limit"


def test_broken_yaml_names_the_file(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "establishment" / "2019.yaml"
    path.write_text("year: [2019\n", encoding="utf-8")
    with pytest.raises(RateFileError, match="invalid YAML") as caught:
        load_rates(root)
    assert caught.value.path == path


def test_year_must_match_the_file_name(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _replace(root / "establishment" / "2023.yaml", "year: 2023", "year: 2032")
    with pytest.raises(RateFileError, match="does not match") as caught:
        load_rates(root)
    assert caught.value.field == "year"


def test_invalid_date_is_refused(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _replace(root / "temporary-protection" / "2026.yaml", '"2027-03-04"', '"2027-02-30"')
    with pytest.raises(RateFileError) as caught:
        load_rates(root)
    assert caught.value.field == "permits_valid_through"


def test_percentage_that_misses_the_published_amount(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _replace(
        root / "initial-cost" / "2026.yaml", "prisbasbelopp_sek: 59200", "prisbasbelopp_sek: 59300"
    )
    with pytest.raises(RateFileError, match="published") as caught:
        load_rates(root)
    assert caught.value.field is not None
    assert caught.value.field.startswith("published_sek.assigned")


def test_age_limits_of_the_same_year_must_agree(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _replace(root / "initial-cost" / "2026.yaml", "age_limit: 67", "age_limit: 66")
    with pytest.raises(RateFileError, match="age limit"):
        load_rates(root)


def test_shares_not_summing_to_one(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "instalments.yaml"
    _replace(path, 'share: "0.25"', 'share: "0.24"')
    with pytest.raises(RateFileError, match=r"sum to 0\.99") as caught:
        load_rates(root)
    assert caught.value.path == path
    assert caught.value.field == "instalments"


def test_shares_written_as_floats_are_refused(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _replace(root / "instalments.yaml", 'share: "0.25"', "share: 0.25")
    with pytest.raises(RateFileError, match="float"):
        load_rates(root)


def test_first_instalment_must_be_the_month_after_reception(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _replace(
        root / "instalments.yaml", "months_after_reception: 1\n", "months_after_reception: 2\n"
    )
    with pytest.raises(RateFileError) as caught:
        load_rates(root)
    assert caught.value.field == "instalments.0.months_after_reception"


def test_instalment_months_must_increase(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _replace(root / "instalments.yaml", "months_after_reception: 13", "months_after_reception: 7")
    with pytest.raises(RateFileError, match="increasing"):
        load_rates(root)


def test_instalment_after_two_years_is_refused(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _replace(root / "instalments.yaml", "months_after_reception: 19", "months_after_reception: 25")
    with pytest.raises(RateFileError) as caught:
        load_rates(root)
    assert caught.value.field == "instalments.3.months_after_reception"


def test_missing_instalment_plan(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "instalments.yaml").unlink()
    with pytest.raises(RateFileError, match="instalment plan"):
        load_rates(root)


def test_misspelt_folder_or_file_name_is_not_skipped_silently(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "establishment").rename(root / "establishmnet")
    with pytest.raises(RateFileError, match="unexpected"):
        load_rates(root)

    root = _copy(tmp_path / "second")
    shutil.copy(root / "establishment" / "2026.yaml", root / "establishment" / "2026-new.yaml")
    with pytest.raises(RateFileError, match=r"<year>\.yaml"):
        load_rates(root)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(RateFileError, match="not found"):
        load_rates(tmp_path / "nowhere")
