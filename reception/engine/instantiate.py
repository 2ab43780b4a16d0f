"""Turn a definition and a household's facts into the tasks it should have.

Pure functions over plain data: no database, no Flask. The caller passes what it
knows (dates, members, completion dates of done tasks) and gets back one planned
task per definition task and member in scope, each with its due date or the
anchor it still waits for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from reception.engine.calendar import Roll, age_on, roll, shift
from reception.engine.definitions import (
    ADULT_AGE,
    HOUSEHOLD_ANCHORS,
    PERSON_ANCHORS,
    TASK_ANCHOR_PREFIX,
    Condition,
    DueRule,
    TaskDefinition,
    WorkflowDefinition,
)


@dataclass(frozen=True)
class PersonFacts:
    id: int
    birth_date: date
    registration_date: date | None = None
    personnummer_date: date | None = None
    has_personnummer: bool = False
    has_samordningsnummer: bool = False
    # Temporary protection: when the samordningsnummer and the permit were given, and the
    # first day registration (folkbokföring) may be applied for (see engine/protection.py).
    samordningsnummer_date: date | None = None
    permit_date: date | None = None
    registration_eligible_date: date | None = None


@dataclass(frozen=True)
class HouseholdFacts:
    assignment_date: date
    latest_reception_date: date
    reception_date: date | None = None
    persons: tuple[PersonFacts, ...] = ()
    # Temporary protection: move into and out of the municipality's housing, and the first
    # day without protection (the municipality's scenario, else the day after the permits).
    move_in_date: date | None = None
    move_out_date: date | None = None
    protection_end: date | None = None

    @property
    def reference_date(self) -> date:
        """The date ages are counted at while no other date is named."""
        return self.reception_date or self.assignment_date


@dataclass(frozen=True)
class TaskRef:
    key: str
    person_id: int | None = None


@dataclass(frozen=True)
class PlannedTask:
    key: str
    person_id: int | None
    due_date: date | None
    # The anchor the due date was computed from, or the one it waits for.
    due_anchor: str | None
    waiting_for: str | None
    # The computed date before it was rolled to a working day, if it was.
    rolled_from: date | None = None

    @property
    def ref(self) -> TaskRef:
        return TaskRef(self.key, self.person_id)


def _scope_date(household: HouseholdFacts, person: PersonFacts, at: str | None) -> date:
    if at:
        value = _anchor_date(household, person, at)
        if value is not None:
            return value
    return household.reference_date


def _anchor_date(household: HouseholdFacts, person: PersonFacts | None, anchor: str) -> date | None:
    if anchor in HOUSEHOLD_ANCHORS:
        return getattr(household, anchor)
    if person is not None and anchor in PERSON_ANCHORS:
        return getattr(person, anchor)
    return None


def _fact(
    fact: str, household: HouseholdFacts, person: PersonFacts | None, age: int | None
) -> object:
    ref = household.reference_date
    if fact == "household.has_children":
        return any(age_on(p.birth_date, ref) < ADULT_AGE for p in household.persons)
    if fact == "household.child_count":
        return sum(age_on(p.birth_date, ref) < ADULT_AGE for p in household.persons)
    if fact == "household.adult_count":
        return sum(age_on(p.birth_date, ref) >= ADULT_AGE for p in household.persons)
    assert person is not None, "person facts are only checked for per-person scopes"
    if fact == "person.age":
        return age
    if fact == "person.has_personnummer":
        return person.has_personnummer
    if fact == "person.has_samordningsnummer":
        return person.has_samordningsnummer
    raise ValueError(f"unknown fact {fact}")


def _holds(condition: Condition, value: object) -> bool:
    if condition.operator == "equals":
        return value == condition.value
    if condition.operator == "not_equals":
        return value != condition.value
    if condition.operator == "min":
        return value is not None and value >= condition.value  # type: ignore[operator]
    return value is not None and value <= condition.value  # type: ignore[operator]


def members_in_scope(task: TaskDefinition, household: HouseholdFacts) -> list[int | None]:
    """The person ids a task exists for ([None] for a household task, [] for none)."""
    if not task.scope.per_person:
        if all(_holds(c, _fact(c.fact, household, None, None)) for c in task.conditions):
            return [None]
        return []
    members: list[int | None] = []
    for person in household.persons:
        on = _scope_date(household, person, task.scope.at)
        age = age_on(person.birth_date, on)
        scope = task.scope
        if scope.kind == "adult" and age < ADULT_AGE:
            continue
        if scope.kind == "child" and age >= ADULT_AGE:
            continue
        if scope.min_age is not None and age < scope.min_age:
            continue
        if scope.max_age is not None and age > scope.max_age:
            continue
        if all(_holds(c, _fact(c.fact, household, person, age)) for c in task.conditions):
            members.append(person.id)
    return members


def _completion(
    target: TaskDefinition,
    person_id: int | None,
    members: Mapping[str, list[int | None]],
    completions: Mapping[TaskRef, date],
) -> date | None:
    """When a task was done, seen from a task of `person_id` (None: the household).

    The same member's instance where the target exists for them; otherwise every
    instance, which counts as done on the last of their completion dates.
    """
    if not target.scope.per_person:
        return completions.get(TaskRef(target.key))
    if person_id is not None and person_id in members[target.key]:
        return completions.get(TaskRef(target.key, person_id))
    dates = [completions.get(TaskRef(target.key, pid)) for pid in members[target.key]]
    if not dates or any(d is None for d in dates):
        return None
    return max(d for d in dates if d is not None)


def _due(
    definition: WorkflowDefinition,
    rule: DueRule,
    household: HouseholdFacts,
    person: PersonFacts | None,
    members: Mapping[str, list[int | None]],
    completions: Mapping[TaskRef, date],
) -> tuple[date | None, str, date | None]:
    """(due date or None, the anchor used or awaited, the unrolled date if rolled)."""
    for anchor in rule.anchors:
        if anchor.startswith(TASK_ANCHOR_PREFIX):
            target = definition.task(anchor.removeprefix(TASK_ANCHOR_PREFIX))
            base = _completion(target, person.id if person else None, members, completions)
        else:
            base = _anchor_date(household, person, anchor)
        if base is None:
            continue
        unrolled = shift(base, rule.offset, rule.unit)
        rolled = roll(unrolled, rule.roll) if rule.roll is not Roll.KEEP else unrolled
        return rolled, anchor, (unrolled if rolled != unrolled else None)
    return None, rule.anchors[0], None


def plan(
    definition: WorkflowDefinition,
    household: HouseholdFacts,
    completions: Mapping[TaskRef, date] | None = None,
) -> list[PlannedTask]:
    """Every task the household should have now, in definition order."""
    completions = completions or {}
    persons = {p.id: p for p in household.persons}
    members = {t.key: members_in_scope(t, household) for t in definition.tasks}
    planned: list[PlannedTask] = []
    for task in definition.tasks:
        for person_id in members[task.key]:
            if task.due is None:
                planned.append(PlannedTask(task.key, person_id, None, None, None))
                continue
            person = persons[person_id] if person_id is not None else None
            due, anchor, rolled_from = _due(
                definition, task.due, household, person, members, completions
            )
            planned.append(
                PlannedTask(
                    key=task.key,
                    person_id=person_id,
                    due_date=due,
                    due_anchor=anchor,
                    waiting_for=None if due else anchor,
                    rolled_from=rolled_from,
                )
            )
    return planned
