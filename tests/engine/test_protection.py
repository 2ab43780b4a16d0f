"""Temporary-protection dates in the engine: eligibility, the end, and planning on them."""

from datetime import date
from textwrap import dedent

import pytest

from reception.engine.definitions import DefinitionError, parse_definition
from reception.engine.instantiate import HouseholdFacts, PersonFacts, plan
from reception.engine.protection import (
    last_protected_day,
    protection_end,
    registration_eligible_date,
)

FLOW = dedent(
    """\
    key: tp-test
    version: 1
    title: {sv: "Test", en: "Test"}
    variant: temporary_protection_housing
    tasks:
      - key: registration_application
        title: {sv: "Folkbokföring", en: "Registration"}
        scope: person
        due: {anchor: registration_eligible_date, roll: next}
      - key: protection_end_alert
        title: {sv: "Skyddet upphör", en: "Protection ends"}
        scope: household
        due: {anchor: protection_end, offset: -3, unit: months}
      - key: settle_in
        title: {sv: "Inflyttning", en: "Move-in"}
        scope: household
        due: {anchor: [move_in_date, assignment_date], offset: 14}
    """
)


@pytest.mark.parametrize(
    ("permit", "coordination", "expected"),
    [
        (date(2025, 6, 25), None, date(2026, 6, 25)),
        (None, date(2025, 3, 31), date(2026, 3, 31)),
        (date(2024, 2, 29), date(2024, 1, 10), date(2025, 2, 28)),  # month rule, permit wins
        (None, None, None),
    ],
)
def test_registration_eligible_date(
    permit: date | None, coordination: date | None, expected: date | None
) -> None:
    assert registration_eligible_date(permit, coordination, 12) == expected


def test_the_end_is_the_first_day_without_protection() -> None:
    assert protection_end(None, date(2027, 3, 4)) == date(2027, 3, 5)
    assert protection_end(date(2026, 10, 1), date(2027, 3, 4)) == date(2026, 10, 1)
    assert last_protected_day(date(2026, 10, 1)) == date(2026, 9, 30)


def test_planning_on_the_new_anchors() -> None:
    definition = parse_definition(FLOW, "workflows/tp-test.yaml")
    household = HouseholdFacts(
        assignment_date=date(2026, 1, 5),
        latest_reception_date=date(2026, 3, 5),
        protection_end=date(2027, 3, 5),
        persons=(
            # Saturday 2026-06-27 rolls to Monday 2026-06-29.
            PersonFacts(
                id=1, birth_date=date(1988, 4, 12), registration_eligible_date=date(2026, 6, 27)
            ),
            PersonFacts(id=2, birth_date=date(2015, 5, 20)),
        ),
    )
    planned = {(p.key, p.person_id): p for p in plan(definition, household)}
    assert planned[("registration_application", 1)].due_date == date(2026, 6, 29)
    assert planned[("registration_application", 1)].rolled_from == date(2026, 6, 27)
    assert planned[("registration_application", 2)].waiting_for == "registration_eligible_date"
    assert planned[("protection_end_alert", None)].due_date == date(2026, 12, 5)
    assert planned[("settle_in", None)].due_date == date(2026, 1, 19)  # no move-in yet
    moved_in = HouseholdFacts(**{**household.__dict__, "move_in_date": date(2026, 1, 15)})
    assert {p.key: p for p in plan(definition, moved_in)}["settle_in"].due_date == date(2026, 1, 29)


def test_person_anchors_of_temporary_protection_need_a_person_scope() -> None:
    text = FLOW.replace("scope: person", "scope: household", 1)
    with pytest.raises(DefinitionError) as info:
        parse_definition(text, "workflows/tp-test.yaml")
    assert info.value.task_key == "registration_application"
    assert "registration_eligible_date" in info.value.message
