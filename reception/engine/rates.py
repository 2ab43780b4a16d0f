"""Reimbursement rates as data: load, validate and look up the files under ``rates/``.

Layout of a rates directory (see docs/reimbursements.md)::

    establishment/<year>.yaml         etableringsschablon, by year of reception
    initial-cost/<year>.yaml          initial-cost schablon, by year of reception
    temporary-protection/<year>.yaml  temporary-protection compensation, in force from <year>
    instalments.yaml                  instalment plan for the etableringsschablon

Adding next year's rates means adding one file; nothing here lists years.

Money is whole kronor (int); percentages and shares are exact Decimals. The YAML loader
refuses floats outright, so a value such as ``17.45`` written without quotes is an error
instead of becoming a binary float on a money path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

__all__ = [
    "AgeGroup",
    "EstablishmentRates",
    "InitialCostRates",
    "Instalment",
    "InstalmentPlan",
    "MissingRateYearError",
    "RateBook",
    "RateError",
    "RateFileError",
    "Settlement",
    "TemporaryProtectionRates",
    "load_rates",
    "round_sek",
]

ESTABLISHMENT_DIR = "establishment"
INITIAL_COST_DIR = "initial-cost"
TEMPORARY_PROTECTION_DIR = "temporary-protection"
INSTALMENTS_FILE = "instalments.yaml"

_SCHEMAS = {
    ESTABLISHMENT_DIR: "rates-establishment.schema.json",
    INITIAL_COST_DIR: "rates-initial-cost.schema.json",
    TEMPORARY_PROTECTION_DIR: "rates-temporary-protection.schema.json",
    INSTALMENTS_FILE: "rates-instalments.schema.json",
}
_YEAR_FILE = re.compile(r"^(\d{4})\.yaml$")
_T = TypeVar("_T")


class RateError(Exception):
    """Base class for every problem with reimbursement rates."""


class RateFileError(RateError):
    """A rate file is missing, unreadable or invalid; the message names the file and field."""

    def __init__(self, path: Path | str, message: str, field: str | None = None) -> None:
        self.path = Path(path)
        self.field = field
        where = f"{self.path}" + (f", field '{field}'" if field else "")
        super().__init__(f"{where}: {message}")


class MissingRateYearError(RateError, LookupError):
    """No rate file covers the requested year (and no fallback was allowed or possible)."""

    def __init__(self, kind: str, year: int, available: Iterable[int]) -> None:
        self.kind = kind
        self.year = year
        self.available = tuple(sorted(available))
        listed = ", ".join(str(y) for y in self.available) or "none"
        super().__init__(
            f"no {kind} rates for {year} (available: {listed}); add rates/{kind}/{year}.yaml"
        )


class Settlement(StrEnum):
    """How the person came to the municipality, as far as the initial-cost schablon cares.

    ``assigned`` covers everyone received after an anvisning: resettled (quota) refugees and
    people leaving Migrationsverket's reception centres alike.
    """

    ASSIGNED = "assigned"
    SELF_SETTLED = "self_settled"


class AgeGroup(StrEnum):
    UNDER_20 = "under_20"
    FROM_20_TO_AGE_LIMIT = "from_20_to_age_limit"
    AGE_LIMIT_AND_OVER = "age_limit_and_over"


def round_sek(amount: Decimal) -> int:
    """Round to whole kronor, half up, as Migrationsverket's published amounts are."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class EstablishmentRates:
    year: int
    under_age_limit_sek: int
    at_or_over_age_limit_sek: int
    age_limit: int
    source: str

    def amount_for_age(self, age: int) -> int:
        if age >= self.age_limit:
            return self.at_or_over_age_limit_sek
        return self.under_age_limit_sek


@dataclass(frozen=True, slots=True)
class InitialCostRates:
    year: int
    reception_from: date
    prisbasbelopp_sek: int
    age_limit: int
    # (settlement, age group) -> percent of the prisbasbelopp; None means no payment.
    percent: Mapping[tuple[Settlement, AgeGroup], Decimal | None]
    source: str

    def age_group(self, age: int) -> AgeGroup:
        if age < 20:
            return AgeGroup.UNDER_20
        if age < self.age_limit:
            return AgeGroup.FROM_20_TO_AGE_LIMIT
        return AgeGroup.AGE_LIMIT_AND_OVER

    def amount(self, settlement: Settlement, group: AgeGroup) -> int | None:
        percent = self.percent[(settlement, group)]
        if percent is None:
            return None
        return round_sek(Decimal(self.prisbasbelopp_sek) * percent / Decimal(100))


@dataclass(frozen=True, slots=True)
class Instalment:
    months_after_reception: int
    share: Decimal


@dataclass(frozen=True, slots=True)
class InstalmentPlan:
    instalments: tuple[Instalment, ...]
    status: str
    source: str


@dataclass(frozen=True, slots=True)
class TemporaryProtectionRates:
    year: int
    place_sek: int
    move_in_sek: int
    daily_adult_sek: int
    daily_child_sek: int
    adult_age: int
    permits_valid_through: date
    registration_after_months: int
    source: str


class RateBook:
    """All rate files of one directory, validated, with lookups by year.

    Establishment and initial-cost amounts are fixed per year of reception, so a missing
    year is an error unless the caller explicitly allows falling back to the latest earlier
    year (and then reports it). Temporary-protection amounts are written in the ordinance
    rather than indexed, so a file stays in force until a later file replaces it.
    """

    def __init__(
        self,
        establishment: Mapping[int, EstablishmentRates],
        initial_cost: Mapping[int, InitialCostRates],
        temporary_protection: Mapping[int, TemporaryProtectionRates],
        instalments: InstalmentPlan,
        directory: Path | None = None,
    ) -> None:
        self._establishment = dict(sorted(establishment.items()))
        self._initial_cost = dict(sorted(initial_cost.items()))
        self._temporary_protection = dict(sorted(temporary_protection.items()))
        self.instalments = instalments
        self.directory = directory

    @classmethod
    def load(cls, directory: Path | str) -> RateBook:
        return load_rates(directory)

    @property
    def establishment_years(self) -> tuple[int, ...]:
        return tuple(self._establishment)

    @property
    def initial_cost_years(self) -> tuple[int, ...]:
        return tuple(self._initial_cost)

    @property
    def temporary_protection_years(self) -> tuple[int, ...]:
        return tuple(self._temporary_protection)

    def establishment(self, year: int, *, allow_fallback: bool = False) -> EstablishmentRates:
        """Rates for people received in ``year``; check ``.year`` to see if it fell back."""
        return _lookup(ESTABLISHMENT_DIR, self._establishment, year, allow_fallback)

    def initial_cost(self, year: int, *, allow_fallback: bool = False) -> InitialCostRates:
        """Rates for people received in ``year``; check ``.year`` to see if it fell back."""
        return _lookup(INITIAL_COST_DIR, self._initial_cost, year, allow_fallback)

    @property
    def initial_cost_rules_start(self) -> date | None:
        """First reception date the modelled (percentage-of-PBB) rules apply to."""
        if not self._initial_cost:
            return None
        return min(rates.reception_from for rates in self._initial_cost.values())

    def temporary_protection(self, year: int) -> TemporaryProtectionRates:
        """The temporary-protection rates in force in ``year`` (latest file not after it)."""
        return _lookup(TEMPORARY_PROTECTION_DIR, self._temporary_protection, year, True)

    @property
    def protection_valid_through(self) -> date:
        """Last day of temporary protection according to the newest file."""
        return self._newest_temporary_protection().permits_valid_through

    @property
    def registration_after_months(self) -> int:
        """Months with temporary protection before registration may be applied for."""
        return self._newest_temporary_protection().registration_after_months

    def _newest_temporary_protection(self) -> TemporaryProtectionRates:
        if not self._temporary_protection:
            raise RateError(f"no {TEMPORARY_PROTECTION_DIR} rate files are loaded")
        return next(reversed(self._temporary_protection.values()))


def _lookup(kind: str, table: Mapping[int, _T], year: int, allow_fallback: bool) -> _T:
    if year in table:
        return table[year]
    if allow_fallback:
        earlier = [y for y in table if y < year]
        if earlier:
            return table[max(earlier)]
    raise MissingRateYearError(kind, year, table)


# --- loading -------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that never builds floats and keeps dates as strings for the schema."""


class _FloatRefusedError(yaml.constructor.ConstructorError):
    pass


def _refuse_float(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    raise _FloatRefusedError(
        problem=(
            f"the number {node.value!r} would be read as a float; write it as a quoted "
            f'decimal string (e.g. "{node.value}") or, for kronor, as a whole number'
        ),
        problem_mark=node.start_mark,
    )


_StrictLoader.add_constructor("tag:yaml.org,2002:float", _refuse_float)
# Dates stay strings so the JSON Schema (which knows no date type) can check them.
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@cache
def _validator(schema_name: str) -> Draft202012Validator:
    text = resources.files("reception.engine").joinpath("schemas", schema_name).read_text("utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _field_name(error: ValidationError) -> str | None:
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "required":
        # The missing property is the field the reader needs to see, not its parent.
        missing = re.match(r"'([^']+)' is a required property", error.message)
        if missing:
            return f"{path}.{missing.group(1)}" if path else missing.group(1)
    if error.validator == "additionalProperties":
        extra = re.search(r"\('([^']+)' was unexpected\)", error.message)
        if extra:
            return f"{path}.{extra.group(1)}" if path else extra.group(1)
    return path or None


def _read(path: Path, schema_key: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RateFileError(path, f"cannot read file ({exc.strerror})") from exc
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except _FloatRefusedError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise RateFileError(path, f"line {line}: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise RateFileError(path, f"invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RateFileError(path, "expected a mapping at the top level")
    error = best_match(_validator(_SCHEMAS[schema_key]).iter_errors(data))
    if error is not None:
        raise RateFileError(path, error.message, _field_name(error))
    return data


def _check_file_year(path: Path, data: Mapping[str, Any]) -> int:
    match = _YEAR_FILE.match(path.name)
    assert match is not None  # the caller only passes matching names
    if data["year"] != int(match.group(1)):
        raise RateFileError(
            path, f"year {data['year']} does not match the file name {path.name}", "year"
        )
    return int(data["year"])


def _parse_date(path: Path, value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise RateFileError(path, f"not a valid date: {value!r}", field) from exc


def _establishment(path: Path) -> EstablishmentRates:
    data = _read(path, ESTABLISHMENT_DIR)
    return EstablishmentRates(
        year=_check_file_year(path, data),
        under_age_limit_sek=data["under_age_limit_sek"],
        at_or_over_age_limit_sek=data["at_or_over_age_limit_sek"],
        age_limit=data["age_limit"],
        source=data["source"],
    )


def _initial_cost(path: Path) -> InitialCostRates:
    data = _read(path, INITIAL_COST_DIR)
    year = _check_file_year(path, data)
    reception_from = date(year, 1, 1)
    if "reception_from" in data:
        reception_from = _parse_date(path, data["reception_from"], "reception_from")
        if reception_from.year != year:
            raise RateFileError(path, f"must fall in {year}", "reception_from")
    percent: dict[tuple[Settlement, AgeGroup], Decimal | None] = {}
    for settlement in Settlement:
        for group in AgeGroup:
            raw = data["percent_of_prisbasbelopp"][settlement.value][group.value]
            percent[(settlement, group)] = None if raw is None else Decimal(raw)
    rates = InitialCostRates(
        year=year,
        reception_from=reception_from,
        prisbasbelopp_sek=data["prisbasbelopp_sek"],
        age_limit=data["age_limit"],
        percent=percent,
        source=data["source"],
    )
    # Published amounts catch a mistyped percentage or prisbasbelopp at load time.
    for settlement_key, groups in data.get("published_sek", {}).items():
        for group_key, published in groups.items():
            computed = rates.amount(Settlement(settlement_key), AgeGroup(group_key))
            if computed != published:
                raise RateFileError(
                    path,
                    f"percentage gives {computed} kr but {published} kr is published",
                    f"published_sek.{settlement_key}.{group_key}",
                )
    return rates


def _temporary_protection(path: Path) -> TemporaryProtectionRates:
    data = _read(path, TEMPORARY_PROTECTION_DIR)
    return TemporaryProtectionRates(
        year=_check_file_year(path, data),
        place_sek=data["place_sek"],
        move_in_sek=data["move_in_sek"],
        daily_adult_sek=data["daily_adult_sek"],
        daily_child_sek=data["daily_child_sek"],
        adult_age=data["adult_age"],
        permits_valid_through=_parse_date(
            path, data["permits_valid_through"], "permits_valid_through"
        ),
        registration_after_months=data["registration_after_months"],
        source=data["source"],
    )


def _instalments(path: Path) -> InstalmentPlan:
    data = _read(path, INSTALMENTS_FILE)
    items = data["instalments"]
    instalments: list[Instalment] = []
    previous = 0
    for index, item in enumerate(items):
        months = item["months_after_reception"]
        share = Decimal(item["share"])
        if index == 0 and months != 1:
            raise RateFileError(
                path,
                "the first instalment is paid in the month after reception (months = 1)",
                "instalments.0.months_after_reception",
            )
        if months <= previous:
            raise RateFileError(
                path,
                "months must be strictly increasing",
                f"instalments.{index}.months_after_reception",
            )
        if share <= 0:
            raise RateFileError(
                path, "a share must be greater than 0", f"instalments.{index}.share"
            )
        previous = months
        instalments.append(Instalment(months, share))
    total = sum((i.share for i in instalments), Decimal(0))
    if total != 1:
        raise RateFileError(path, f"shares sum to {total}, not exactly 1", "instalments")
    return InstalmentPlan(tuple(instalments), status=data["status"], source=data["source"])


def _year_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    files: list[Path] = []
    for path in sorted(directory.iterdir()):
        if path.suffix in {".yaml", ".yml"}:
            if not _YEAR_FILE.match(path.name):
                raise RateFileError(path, "rate files must be named <year>.yaml, e.g. 2027.yaml")
            files.append(path)
    return files


def load_rates(directory: Path | str) -> RateBook:
    """Load and validate every rate file under ``directory``.

    Raises RateFileError on the first invalid file, naming the file and the field.
    """
    root = Path(directory)
    if not root.is_dir():
        raise RateFileError(root, "rates directory not found")
    known = {ESTABLISHMENT_DIR, INITIAL_COST_DIR, TEMPORARY_PROTECTION_DIR, INSTALMENTS_FILE}
    for entry in root.iterdir():
        # A misspelt folder would otherwise be skipped silently and its years go missing.
        if entry.name not in known and (entry.is_dir() or entry.suffix in {".yaml", ".yml"}):
            raise RateFileError(entry, f"unexpected entry; expected one of {sorted(known)}")

    establishment = {r.year: r for r in map(_establishment, _year_files(root / ESTABLISHMENT_DIR))}
    initial_cost = {r.year: r for r in map(_initial_cost, _year_files(root / INITIAL_COST_DIR))}
    temporary_protection = {
        r.year: r for r in map(_temporary_protection, _year_files(root / TEMPORARY_PROTECTION_DIR))
    }
    instalments_path = root / INSTALMENTS_FILE
    if not instalments_path.is_file():
        raise RateFileError(instalments_path, "the instalment plan is missing")
    instalments = _instalments(instalments_path)

    # Both schablons use the pension reference age of the same year; a mismatch is a typo.
    for year, cost in initial_cost.items():
        est = establishment.get(year)
        if est is not None and est.age_limit != cost.age_limit:
            raise RateFileError(
                root / INITIAL_COST_DIR / f"{year}.yaml",
                f"age limit {cost.age_limit} differs from {est.age_limit} in "
                f"{ESTABLISHMENT_DIR}/{year}.yaml",
                "age_limit",
            )
    return RateBook(establishment, initial_cost, temporary_protection, instalments, root)
