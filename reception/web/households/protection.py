"""What a household page shows of temporary protection and of the cases linked to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import session
from sqlalchemy import select

from reception.extensions import db
from reception.models import ChangeEvent, Household, Person, ProtectionEndScenario, Task
from reception.services import protection, protection_rules
from reception.services.workflows import definition_for
from reception.web.presenters import locale_code, task_label


@dataclass(frozen=True)
class LinkedCase:
    household: Household
    workflow_title: str
    relation: str  # "earlier", "this" or "later"


@dataclass(frozen=True)
class LinkedView:
    cases: list[LinkedCase]
    events: list[ChangeEvent]
    names: dict[int, str]  # person id -> name, every case
    titles: dict[int, str]  # task id -> title, every case
    references: dict[int, str]  # household id -> reference

    @property
    def has_others(self) -> bool:
        return len(self.cases) > 1


@dataclass(frozen=True)
class PersonDates:
    person: Person
    eligible: date | None  # the first day registration may be applied for
    continued_in: Household | None  # the settlement case after registration


@dataclass(frozen=True)
class ProtectionView:
    housing: bool  # in the municipality's housing (move-in and move-out apply)
    protection_end: date  # first day without protection
    last_protected_day: date
    scenario: ProtectionEndScenario | None
    people: list[PersonDates]


def linked_view(household: Household) -> LinkedView:
    chain = protection.chain(household.id)
    locale = locale_code()
    cases = []
    order = [h.id for h in chain.households]
    here = order.index(household.id)
    for position, case in enumerate(chain.households):
        definition = definition_for(case.workflow_key, case.workflow_version)
        relation = "this" if position == here else ("earlier" if position < here else "later")
        cases.append(LinkedCase(case, definition.title.get(locale), relation))
    others = [h.id for h in chain.households if h.id != household.id]
    names = {p.id: p.full_name for h in chain.households for p in h.members}
    titles = {}
    if others:
        for task in db.session.scalars(select(Task).where(Task.household_id.in_(others))):
            titles[task.id] = task_label(task, names, locale)
    references = {h.id: h.reference for h in chain.households}
    return LinkedView(cases, chain.events, names, titles, references)


def protection_view(household: Household, linked: LinkedView | None) -> ProtectionView | None:
    """The temporary-protection dates of a household, or None for other workflows."""
    if not protection_rules.is_temporary_protection(household):
        return None
    ended = protection.current_end()
    later: dict[int, Household] = {}
    for case in linked.cases if linked else []:
        for member in case.household.members:
            if member.previous_person_id is not None:
                later[member.previous_person_id] = case.household
    variant = definition_for(household.workflow_key, household.workflow_version).variant
    return ProtectionView(
        housing=variant == protection_rules.HOUSING_VARIANT,
        protection_end=ended.protection_end,
        last_protected_day=ended.last_protected_day,
        scenario=ended.scenario,
        people=[
            PersonDates(p, protection_rules.registration_eligible_date(p), later.get(p.id))
            for p in household.members
        ],
    )


def continued_notice(household_id: int) -> dict[str, object] | None:
    """The settlement case just opened by a registration on this page, shown once."""
    notice = session.pop("continued", None)
    if notice and notice.get("household") == household_id:
        return notice
    return None
