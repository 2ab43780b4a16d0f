"""The manager's dashboard: deadline alerts, monthly compliance and workload.

Every function reads through the ORM, so the session's municipality binding
filters each query; each figure is one set-based query whatever the number of
households. `today` is a parameter so that the figures can be tested on fixed
dates. Only open households count, except in the compliance figures, which
look back at what happened whatever became of the household later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Integer, and_, case, cast, extract, func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from reception.engine.calendar import add_months
from reception.engine.status import TaskStatus
from reception.extensions import db
from reception.models import Household, HouseholdStatus, Person, Role, Task, User

HOUSING_ALERT_DAYS = 14
PERSONNUMMER_AWAITED_MONTHS = 3
CIVIC_DUTY_ALERT_MONTHS = 6
WORKLOAD_DAYS_AHEAD = 7
COMPLIANCE_MONTHS = 12

# Open means still to be done: waiting on an authority is open work too.
UNSETTLED = (TaskStatus.OPEN.value, TaskStatus.WAITING.value)


# --- Alerts ------------------------------------------------------------------


@dataclass(frozen=True)
class HousingAlert:
    household_id: int
    reference: str
    latest_reception_date: date
    days_left: int  # negative when the deadline has passed
    coordinator_name: str | None


@dataclass(frozen=True)
class OverdueTask:
    task_id: int
    household_id: int
    reference: str
    title_sv: str
    title_en: str
    person_name: str | None
    due_date: date
    days_overdue: int

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_sv


@dataclass(frozen=True)
class OverdueByCoordinator:
    user_id: int | None  # None: tasks nobody is assigned to
    name: str | None
    tasks: list[OverdueTask]


@dataclass(frozen=True)
class PersonAlert:
    household_id: int
    reference: str
    person_id: int
    person_name: str
    since: date  # the Skatteverket visit, or the end of the civic-orientation duty


@dataclass(frozen=True)
class Alerts:
    housing: list[HousingAlert]
    overdue: list[OverdueByCoordinator]
    personnummer: list[PersonAlert]
    civic_orientation: list[PersonAlert]

    @property
    def overdue_count(self) -> int:
        return sum(len(group.tasks) for group in self.overdue)

    @property
    def total(self) -> int:
        return (
            len(self.housing)
            + self.overdue_count
            + len(self.personnummer)
            + len(self.civic_orientation)
        )


def _open_household() -> ColumnElement[bool]:
    return Household.status == HouseholdStatus.OPEN.value


def housing_alerts(today: date) -> list[HousingAlert]:
    """Housing deadline within 14 days (or passed) while the housing task is not done."""
    rows = db.session.execute(
        select(
            Household.id,
            Household.reference,
            Household.latest_reception_date,
            User.name,
        )
        .join(Task, and_(Task.household_id == Household.id, Task.key == "housing"))
        .outerjoin(User, User.id == Household.coordinator_id)
        .where(
            _open_household(),
            Task.status.in_(UNSETTLED),
            Household.latest_reception_date <= today + timedelta(days=HOUSING_ALERT_DAYS),
        )
        .order_by(Household.latest_reception_date, Household.reference)
    )
    return [
        HousingAlert(
            household_id=row.id,
            reference=row.reference,
            latest_reception_date=row.latest_reception_date,
            days_left=(row.latest_reception_date - today).days,
            coordinator_name=row.name,
        )
        for row in rows
    ]


def overdue_by_coordinator(today: date) -> list[OverdueByCoordinator]:
    """Open tasks past their due date, grouped by assignee (most overdue first).

    Tasks waiting on an authority are left out: the coordinator cannot act on them.
    """
    rows = db.session.execute(
        select(
            Task.id,
            Task.household_id,
            Household.reference,
            Task.title_sv,
            Task.title_en,
            Person.given_name,
            Person.family_name,
            Task.due_date,
            Task.assignee_id,
            User.name,
        )
        .join(Household, Household.id == Task.household_id)
        .outerjoin(Person, Person.id == Task.person_id)
        .outerjoin(User, User.id == Task.assignee_id)
        .where(
            _open_household(),
            Task.status == TaskStatus.OPEN.value,
            Task.due_date < today,
        )
        .order_by(User.name.is_(None), User.name, Task.assignee_id, Task.due_date, Task.id)
    )
    groups: dict[int | None, OverdueByCoordinator] = {}
    for row in rows:
        group = groups.get(row.assignee_id)
        if group is None:
            group = groups[row.assignee_id] = OverdueByCoordinator(row.assignee_id, row.name, [])
        group.tasks.append(
            OverdueTask(
                task_id=row.id,
                household_id=row.household_id,
                reference=row.reference,
                title_sv=row.title_sv,
                title_en=row.title_en,
                person_name=_name(row.given_name, row.family_name),
                due_date=row.due_date,
                days_overdue=(today - row.due_date).days,
            )
        )
    return list(groups.values())


def personnummer_awaited(today: date) -> list[PersonAlert]:
    """Members still without a personnummer more than 3 months after the Skatteverket visit.

    "More than 3 months" follows the statutory month rule, which no SQL date
    function does; the query keeps visits at least 89 days old (no three months
    are shorter) and the rule is applied exactly to those.
    """
    visit = aliased(Task)
    rows = db.session.execute(
        select(
            Household.id,
            Household.reference,
            Person.id.label("person_id"),
            Person.given_name,
            Person.family_name,
            visit.completed_on,
        )
        .join(Person, Person.household_id == Household.id)
        .join(
            visit,
            and_(
                visit.household_id == Household.id,
                visit.key == "skatteverket_visit",
                visit.person_id.is_(None),
            ),
        )
        .where(
            _open_household(),
            Person.personnummer.is_(None),
            visit.status == TaskStatus.DONE.value,
            visit.completed_on <= today - timedelta(days=89),
        )
        .order_by(visit.completed_on, Household.reference, Person.birth_date, Person.id)
    )
    return [
        PersonAlert(
            household_id=row.id,
            reference=row.reference,
            person_id=row.person_id,
            person_name=_name(row.given_name, row.family_name) or "",
            since=row.completed_on,
        )
        for row in rows
        if add_months(row.completed_on, PERSONNUMMER_AWAITED_MONTHS) < today
    ]


def civic_orientation_ending(today: date) -> list[PersonAlert]:
    """The civic-orientation duty ends within 6 months and the person has not been offered it."""
    duty_end = aliased(Task)
    offer = aliased(Task)
    rows = db.session.execute(
        select(
            Household.id,
            Household.reference,
            Person.id.label("person_id"),
            Person.given_name,
            Person.family_name,
            duty_end.due_date,
        )
        .join(duty_end, duty_end.household_id == Household.id)
        .join(Person, Person.id == duty_end.person_id)
        .join(
            offer,
            and_(
                offer.household_id == Household.id,
                offer.person_id == duty_end.person_id,
                offer.key == "civic_orientation_offer",
            ),
        )
        .where(
            _open_household(),
            duty_end.key == "civic_orientation_duty_end",
            duty_end.status.in_(UNSETTLED),
            duty_end.due_date >= today,
            duty_end.due_date <= add_months(today, CIVIC_DUTY_ALERT_MONTHS),
            offer.status.in_(UNSETTLED),
        )
        .order_by(duty_end.due_date, Household.reference, Person.id)
    )
    return [
        PersonAlert(
            household_id=row.id,
            reference=row.reference,
            person_id=row.person_id,
            person_name=_name(row.given_name, row.family_name) or "",
            since=row.due_date,
        )
        for row in rows
    ]


def alerts(today: date) -> Alerts:
    return Alerts(
        housing=housing_alerts(today),
        overdue=overdue_by_coordinator(today),
        personnummer=personnummer_awaited(today),
        civic_orientation=civic_orientation_ending(today),
    )


def _name(given: str | None, family: str | None) -> str | None:
    if given is None and family is None:
        return None
    return f"{given or ''} {family or ''}".strip()


# --- Compliance --------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """A share kept as two integers; the page turns it into a percentage."""

    numerator: int = 0
    denominator: int = 0

    @property
    def percent(self) -> int | None:
        """Rounded half up to a whole percent; None when there is nothing to count."""
        if self.denominator == 0:
            return None
        return (200 * self.numerator + self.denominator) // (2 * self.denominator)


@dataclass(frozen=True)
class MonthCompliance:
    month: date  # the first day of the month of the legal deadline
    received_in_time: Ratio
    skatteverket_in_time: Ratio
    sfi_in_time: Ratio


def compliance_by_month(today: date, months: int = COMPLIANCE_MONTHS) -> list[MonthCompliance]:
    """The last `months` months (this one included), oldest first, by month of the deadline.

    Only outcomes that are settled count: a deadline still ahead with the step not
    yet done is neither kept nor missed. Received by the deadline counts the
    households with a housing duty (a `housing` task); the other two count the
    `skatteverket_visit` and `sfi_application` tasks done on or before their due date.
    """
    first = add_months(today.replace(day=1), -(months - 1))
    end = add_months(today.replace(day=1), 1)  # exclusive
    received = _received_by_deadline(first, end, today)
    skatteverket = _tasks_in_time("skatteverket_visit", first, end, today)
    sfi = _tasks_in_time("sfi_application", first, end, today)
    result = []
    for offset in range(months):
        month = add_months(first, offset)
        key = (month.year, month.month)
        result.append(
            MonthCompliance(
                month=month,
                received_in_time=received.get(key, Ratio()),
                skatteverket_in_time=skatteverket.get(key, Ratio()),
                sfi_in_time=sfi.get(key, Ratio()),
            )
        )
    return result


def _by_month(
    column: ColumnElement[date],
    kept: ColumnElement[bool],
    decided: ColumnElement[bool],
    where: Sequence[ColumnElement[bool]],
    from_: Any,
) -> dict[tuple[int, int], Ratio]:
    """Kept and decided counts per (year, month) of `column`, in one grouped query."""
    year = cast(extract("year", column), Integer).label("year")
    month = cast(extract("month", column), Integer).label("month")
    rows = db.session.execute(
        select(
            year,
            month,
            func.sum(case((and_(decided, kept), 1), else_=0)),
            func.sum(case((decided, 1), else_=0)),
        )
        .select_from(from_)
        .where(*where)
        .group_by(year, month)
    )
    return {
        (int(y), int(m)): Ratio(int(kept_count or 0), int(decided_count or 0))
        for y, m, kept_count, decided_count in rows
        if decided_count
    }


def _received_by_deadline(first: date, end: date, today: date) -> dict[tuple[int, int], Ratio]:
    has_housing_duty = (
        select(Task.id)
        .where(
            Task.household_id == Household.id,
            Task.key == "housing",
            Task.status != TaskStatus.WITHDRAWN.value,
        )
        .exists()
    )
    deadline = Household.latest_reception_date
    return _by_month(
        deadline,
        kept=Household.reception_date <= deadline,
        decided=Household.reception_date.is_not(None) | (deadline < today),
        where=[deadline >= first, deadline < end, has_housing_duty],
        from_=Household,
    )


def _tasks_in_time(key: str, first: date, end: date, today: date) -> dict[tuple[int, int], Ratio]:
    done = Task.status == TaskStatus.DONE.value
    return _by_month(
        Task.due_date,
        kept=done & (Task.completed_on <= Task.due_date),
        decided=done | (Task.status.in_(UNSETTLED) & (Task.due_date < today)),
        where=[Task.key == key, Task.due_date >= first, Task.due_date < end],
        from_=Task,
    )


# --- Workload ----------------------------------------------------------------


@dataclass
class Workload:
    user_id: int | None  # None: work nobody is assigned to
    name: str | None
    is_coordinator: bool
    open_tasks: int = 0
    overdue: int = 0
    due_soon: int = 0  # due today or within the next 7 days
    households: int = 0

    @property
    def has_work(self) -> bool:
        return bool(self.open_tasks or self.households)


def workload(today: date) -> list[Workload]:
    """Per coordinator: open tasks, overdue, due within 7 days and open households.

    Every active coordinator has a row, even with nothing to do; other users
    appear when work is assigned to them, and unassigned work has a row of its own.
    """
    is_open = Task.status == TaskStatus.OPEN.value
    task_rows = db.session.execute(
        select(
            Task.assignee_id,
            func.count(),
            func.sum(case((is_open & (Task.due_date < today), 1), else_=0)),
            func.sum(
                case(
                    (
                        is_open
                        & (Task.due_date >= today)
                        & (Task.due_date <= today + timedelta(days=WORKLOAD_DAYS_AHEAD)),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .join(Household, Household.id == Task.household_id)
        .where(_open_household(), Task.status.in_(UNSETTLED))
        .group_by(Task.assignee_id)
    )
    household_rows = db.session.execute(
        select(Household.coordinator_id, func.count())
        .where(_open_household())
        .group_by(Household.coordinator_id)
    )
    users = {user.id: user for user in db.session.scalars(select(User))}
    rows: dict[int | None, Workload] = {
        user.id: Workload(user.id, user.name, True)
        for user in users.values()
        if user.active and user.has_role(Role.COORDINATOR)
    }

    def row_for(user_id: int | None) -> Workload:
        if user_id not in rows:
            user = users.get(user_id) if user_id is not None else None
            rows[user_id] = Workload(
                user_id,
                user.name if user else None,
                bool(user and user.active and user.has_role(Role.COORDINATOR)),
            )
        return rows[user_id]

    for assignee_id, open_count, overdue, due_soon in task_rows:
        row = row_for(assignee_id)
        row.open_tasks = int(open_count)
        row.overdue = int(overdue or 0)
        row.due_soon = int(due_soon or 0)
    for coordinator_id, count in household_rows:
        row_for(coordinator_id).households = int(count)
    return sorted(rows.values(), key=lambda r: (r.user_id is None, (r.name or "").casefold()))
