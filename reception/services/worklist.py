"""The coordinator's work list: open tasks by urgency, grouped by household.

Reads only; a fixed number of queries however many households there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from reception.engine.status import TaskStatus
from reception.extensions import db
from reception.models import Household, HouseholdStatus, Person, Task
from reception.services.checklist import blockers

HORIZON_DAYS = 7
ACTIVE = (TaskStatus.OPEN.value, TaskStatus.WAITING.value)


@dataclass(frozen=True)
class Filters:
    assignee_id: int | None = None  # None: everyone's tasks
    household_id: int | None = None
    workflow: str | None = None
    person_id: int | None = None


@dataclass(frozen=True)
class Item:
    task: Task
    blocked_by: Sequence[Task] = ()


@dataclass
class Group:
    household: Household
    items: list[Item] = field(default_factory=list)


@dataclass
class Worklist:
    overdue: list[Group]
    today: list[Group]
    upcoming: list[Group]
    waiting: list[Item]
    horizon: date

    @property
    def is_empty(self) -> bool:
        return not (self.overdue or self.today or self.upcoming or self.waiting)


def display_state(task: Task, blocked_by: Sequence[Task], today: date) -> str:
    """The state a person sees: the stored status, or for open tasks how urgent they are."""
    status = TaskStatus(task.status)
    if status is not TaskStatus.OPEN:
        return status.value
    if blocked_by:
        return "blocked"
    if task.due_date is None:
        return "open"
    if task.due_date < today:
        return "overdue"
    if task.due_date <= today + timedelta(days=task.reminder_days):
        return "due_soon"
    return "open"


def worklist(today: date, filters: Filters, horizon_days: int = HORIZON_DAYS) -> Worklist:
    horizon = today + timedelta(days=horizon_days)
    query = (
        select(Task)
        .join(Task.household)
        .where(
            Household.status == HouseholdStatus.OPEN.value,
            Task.status.in_(ACTIVE),
            (Task.status == TaskStatus.WAITING.value) | (Task.due_date <= horizon),
        )
        .options(
            joinedload(Task.household).selectinload(Household.members), joinedload(Task.person)
        )
        .order_by(Task.due_date, Household.reference, Task.person_id.is_not(None), Task.id)
    )
    if filters.assignee_id is not None:
        query = query.where(Task.assignee_id == filters.assignee_id)
    if filters.household_id is not None:
        query = query.where(Task.household_id == filters.household_id)
    if filters.workflow:
        query = query.where(Household.workflow_key == filters.workflow)
    if filters.person_id is not None:
        query = query.where(Task.person_id == filters.person_id)
    tasks = list(db.session.scalars(query).unique())

    blocked = _blockers_of({t.household for t in tasks})
    result = Worklist(overdue=[], today=[], upcoming=[], waiting=[], horizon=horizon)
    sections: dict[str, dict[int, Group]] = {"overdue": {}, "today": {}, "upcoming": {}}
    for task in tasks:
        item = Item(task, blocked.get(task.id, ()))
        if task.status == TaskStatus.WAITING.value:
            result.waiting.append(item)
            continue
        assert task.due_date is not None
        if task.due_date < today:
            section = "overdue"
        elif task.due_date == today:
            section = "today"
        else:
            section = "upcoming"
        groups = sections[section]
        groups.setdefault(task.household_id, Group(task.household)).items.append(item)
    result.overdue = list(sections["overdue"].values())
    result.today = list(sections["today"].values())
    result.upcoming = list(sections["upcoming"].values())
    result.waiting.sort(key=lambda i: (i.task.waiting_since or today, i.task.id))
    return result


def _blockers_of(households: set[Household]) -> dict[int, list[Task]]:
    """Blockers of every task of these households, from one query for their tasks."""
    if not households:
        return {}
    by_household: dict[int, list[Task]] = {h.id: [] for h in households}
    query = select(Task).where(Task.household_id.in_(by_household))
    for task in db.session.scalars(query):
        by_household[task.household_id].append(task)
    result: dict[int, list[Task]] = {}
    for household in households:
        result.update(blockers(household, by_household[household.id]))
    return result


def filter_choices() -> tuple[list[Household], list[Person]]:
    """Open households and their members, for the filter menus."""
    households = list(
        db.session.scalars(
            select(Household)
            .where(Household.status == HouseholdStatus.OPEN.value)
            .order_by(Household.reference)
        )
    )
    persons = list(
        db.session.scalars(
            select(Person)
            .join(Person.household)
            .where(Household.status == HouseholdStatus.OPEN.value)
            .options(joinedload(Person.household))
            .order_by(Household.reference, Person.birth_date, Person.id)
        )
    )
    return households, persons
