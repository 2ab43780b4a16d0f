"""The sweep: one set-based pass that creates every notification due up to a day.

Each kind is one INSERT … SELECT over all municipalities, guarded twice against
duplicates: an anti-join on the notification key skips what exists (cheap, and keeps
the unique index out of the hot path), and ON CONFLICT DO NOTHING on the unique key
settles races with a concurrent sweep. The whole pass is one transaction, recorded in
`sweep_run` by the same commit, so a sweep that dies half-way leaves nothing behind and
the next one does all of it. See docs/reminders.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    and_,
    exists,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from reception.engine.status import TaskStatus
from reception.models import Household, HouseholdStatus, Notification, Role, SweepRun, Task, User
from reception.models.notification import NotificationKind as Kind
from reception.models.tenancy import system
from reception.reminders import rules
from reception.timeutil import utcnow

log = logging.getLogger(__name__)

# Any fixed number, the same in every process: pg_try_advisory_xact_lock(SWEEP_LOCK_KEY).
SWEEP_LOCK_KEY = 0x4D54_4753  # "MTGS"
CIVIC_DUTY_TASK = "civic_orientation_duty_end"

_table = Notification.__table__
_COLUMNS = (
    "municipality_id",
    "recipient_id",
    "kind",
    "subject_id",
    "for_date",
    "task_id",
    "household_id",
    "payload",
    "created_at",
    "attempts",
)


@dataclass(frozen=True)
class SweepSettings:
    escalation_business_days: int = 5
    # The longest reminder period of any task: bounds the scan for reminders to the tasks
    # due within it. Tasks copy reminder_days from their definition, so the largest value
    # in the loaded definitions is an upper bound.
    max_reminder_days: int = 90
    # municipality id -> last day of temporary protection there; None: no alerts.
    protection_end: Mapping[int, date] = field(default_factory=dict)
    # Workflow keys whose households live under temporary protection.
    protected_workflows: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SweepResult:
    day: date
    created: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.created.values())


class SweepBusy(RuntimeError):
    """Another process holds the sweep lock; this sweep did nothing."""


def sweep(session: Session, day: date, settings: SweepSettings) -> SweepResult:
    """Create every notification due up to and including `day` that does not exist yet.

    One transaction: commits on success, rolls back (creating nothing) on any error.
    Raises SweepBusy when another process is sweeping (PostgreSQL advisory lock).
    """
    session.commit()  # start from a clean transaction; the lock must be its first statement
    try:
        with system(session):
            _lock(session)
            builder = _Builder(session, day, settings)
            created = builder.run()
            _record(session, day, sum(created.values()))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    log.info("sweep %s: %s", day, created)
    return SweepResult(day, created)


def last_swept_day(session: Session) -> date | None:
    return session.scalar(select(func.max(SweepRun.day)))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _lock(session: Session) -> None:
    dialect = _dialect(session)
    if dialect == "postgresql":
        # Released by the commit or rollback that ends the sweep, also when a process dies.
        got = session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK_KEY}
        )
        if not got:
            raise SweepBusy("another sweep is running")
    elif dialect == "sqlite":
        # SQLite has one writer at a time: take the write lock now, not at the first insert,
        # so a concurrent sweep waits for this one and then sees what it created.
        session.execute(text("BEGIN IMMEDIATE"))


def _record(session: Session, day: date, created: int) -> None:
    insert = _insert_for(session)(SweepRun.__table__).values(
        day=day, completed_at=utcnow(), created=created
    )
    stmt = insert.on_conflict_do_update(
        index_elements=["day"],
        set_={"completed_at": insert.excluded.completed_at, "created": SweepRun.created + created},
    )
    session.execute(stmt)


def _insert_for(session: Session) -> Any:
    return postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert


class _Builder:
    """Builds and runs the INSERT … SELECT of each kind for one day."""

    def __init__(self, session: Session, day: date, settings: SweepSettings) -> None:
        self.session = session
        self.day = day
        self.settings = settings
        self.dialect = _dialect(session)
        self.now = utcnow()
        # Role lookups are done once here: a LIKE on the roles column inside the big
        # statements hides from the planner how few users match, and it picks nested loops.
        self.managers = self._users_with(Role.MANAGER)
        self.coordinators = self._users_with(Role.COORDINATOR, digest=True)

    def _users_with(self, role: Role, *, digest: bool = False) -> list[int]:
        query = select(User.id).where(User.active.is_(True), _has_role(User, role))
        if digest:
            query = query.where(User.digest_enabled.is_(True))
        return list(self.session.scalars(query))

    def run(self) -> dict[str, int]:
        created: dict[str, int] = {}
        for kind, query in self._queries():
            created[kind.value] = created.get(kind.value, 0) + self._insert(query)
        return created

    def _queries(self) -> Iterable[tuple[Kind, Select[Any]]]:
        yield Kind.REMINDER, self._reminders()
        yield Kind.OVERDUE, self._overdue()
        yield Kind.ESCALATION, self._escalations()
        yield Kind.DIGEST, self._digests()
        for days, window in rules.day_windows(self.day, rules.RECEPTION_ALERT_DAYS):
            kind = Kind.RECEPTION_DEADLINE_14 if days == 14 else Kind.RECEPTION_DEADLINE_7
            yield kind, self._reception_alerts(kind, days, window)
        for months, window in rules.month_windows(self.day, rules.CIVIC_DUTY_ALERT_MONTHS):
            kind = Kind.CIVIC_DUTY_END_6M if months == 6 else Kind.CIVIC_DUTY_END_1M
            yield kind, self._civic_duty_alerts(kind, months, window)
        yield from self._protection_alerts()

    # --- running ---------------------------------------------------------------------------

    def _insert(self, query: Select[Any]) -> int:
        stmt = (
            _insert_for(self.session)(_table)
            .from_select(list(_COLUMNS), query)
            .on_conflict_do_nothing(
                index_elements=["recipient_id", "kind", "subject_id", "for_date"]
            )
            .execution_options(preserve_rowcount=True)
        )
        return self.session.connection().execute(stmt).rowcount

    def _row(
        self,
        kind: Kind,
        *,
        municipality: ColumnElement[Any],
        recipient: ColumnElement[Any],
        subject: ColumnElement[Any],
        for_date: ColumnElement[Any],
        task: ColumnElement[Any] | None,
        household: ColumnElement[Any] | None,
        payload: Mapping[str, ColumnElement[Any] | int | str],
    ) -> list[ColumnElement[Any]]:
        """The selected columns, in _COLUMNS order."""
        return [
            municipality,
            recipient,
            literal(kind.value),
            subject,
            for_date,
            task if task is not None else literal(None, Integer),
            household if household is not None else literal(None, Integer),
            self._json(payload),
            literal(self.now),
            literal(0),
        ]

    def _json(self, payload: Mapping[str, ColumnElement[Any] | int | str]) -> ColumnElement[Any]:
        args: list[Any] = []
        for key, value in payload.items():
            args += [literal(key), literal(value) if isinstance(value, int | str) else value]
        if self.dialect == "postgresql":
            return func.json_build_object(*args)
        return func.json_object(*args)

    def _not_notified(
        self,
        kind: Kind,
        recipient: ColumnElement[Any],
        subject: ColumnElement[Any],
        for_date: ColumnElement[Any],
    ) -> ColumnElement[bool]:
        existing = aliased(Notification)
        return ~exists().where(
            existing.recipient_id == recipient,
            existing.kind == kind.value,
            existing.subject_id == subject,
            existing.for_date == for_date,
        )

    # --- tasks -----------------------------------------------------------------------------

    def _task_rows(self) -> tuple[Any, Any, ColumnElement[Any]]:
        """Open tasks with a due date in open households, and who hears about them.

        The assignee, else the household's coordinator; waiting and settled tasks are out.
        """
        task = aliased(Task, name="t")
        household = aliased(Household, name="h")
        recipient = func.coalesce(task.assignee_id, household.coordinator_id)
        return task, household, recipient

    def _task_select(self, kind: Kind, payload: Mapping[str, Any], *where: Any) -> Select[Any]:
        task, household, recipient = self._task_rows()
        user = aliased(User, name="u")
        return (
            select(
                *self._row(
                    kind,
                    municipality=task.municipality_id,
                    recipient=user.id,
                    subject=task.id,
                    for_date=task.due_date,
                    task=task.id,
                    household=task.household_id,
                    payload=payload(task) if callable(payload) else payload,
                )
            )
            .select_from(task)
            .join(household, household.id == task.household_id)
            .join(user, user.id == recipient)
            .where(
                task.status == TaskStatus.OPEN.value,
                household.status == HouseholdStatus.OPEN.value,
                user.active.is_(True),
                self._not_notified(kind, user.id, task.id, task.due_date),
                *(w(task) if callable(w) else w for w in where),
            )
        )

    def _reminders(self) -> Select[Any]:
        # Due today or later and inside its reminder period. A task that is already overdue
        # gets the overdue notice instead: stale reminders are collapsed into it.
        def in_reminder_period(task: Any) -> ColumnElement[bool]:
            if self.dialect == "postgresql":
                return task.due_date - task.reminder_days <= self.day
            return func.julianday(task.due_date) - task.reminder_days <= func.julianday(
                literal(self.day.isoformat())
            )

        return self._task_select(
            Kind.REMINDER,
            lambda task: {"days_before": task.reminder_days},
            lambda task: task.due_date.between(
                self.day, self.day + timedelta(days=self.settings.max_reminder_days)
            ),
            in_reminder_period,
        )

    def _overdue(self) -> Select[Any]:
        return self._task_select(Kind.OVERDUE, {}, lambda task: task.due_date < self.day)

    def _escalations(self) -> Select[Any]:
        days = self.settings.escalation_business_days
        through = rules.escalation_due_through(self.day, days)
        task, household, _recipient = self._task_rows()
        manager = aliased(User, name="m")
        return (
            select(
                *self._row(
                    Kind.ESCALATION,
                    municipality=task.municipality_id,
                    recipient=manager.id,
                    subject=task.id,
                    for_date=task.due_date,
                    task=task.id,
                    household=task.household_id,
                    payload={"business_days": days},
                )
            )
            # From the few managers to their municipality's tasks: a range scan per manager
            # on (municipality_id, status, due_date).
            .select_from(manager)
            .join(
                task,
                and_(
                    task.municipality_id == manager.municipality_id,
                    task.status == TaskStatus.OPEN.value,
                ),
            )
            .join(household, household.id == task.household_id)
            .where(
                manager.id.in_(self.managers),
                task.due_date <= through,
                household.status == HouseholdStatus.OPEN.value,
                manager.active.is_(True),
                self._not_notified(Kind.ESCALATION, manager.id, task.id, task.due_date),
            )
        )

    def _civic_duty_alerts(self, kind: Kind, months: int, window: rules.Window) -> Select[Any]:
        return self._task_select(
            kind,
            {"months_before": months},
            lambda task: task.key == CIVIC_DUTY_TASK,
            lambda task: task.due_date.between(window.first, window.last),
        )

    # --- digests ---------------------------------------------------------------------------

    def _digests(self) -> Select[Any]:
        # Only for the day swept: a digest of a missed day would be stale, today's covers it.
        task, household, recipient = self._task_rows()
        horizon = self.day + timedelta(days=rules.DIGEST_HORIZON_DAYS)
        with_work = (
            select(recipient.label("user_id"))
            .select_from(task)
            .join(household, household.id == task.household_id)
            .where(
                task.status == TaskStatus.OPEN.value,
                task.due_date <= horizon,
                household.status == HouseholdStatus.OPEN.value,
            )
            .distinct()
            .subquery("with_work")
        )
        user = aliased(User, name="u")
        day = literal(self.day, Date)
        return (
            select(
                *self._row(
                    Kind.DIGEST,
                    municipality=user.municipality_id,
                    recipient=user.id,
                    subject=user.id,
                    for_date=day,
                    task=None,
                    household=None,
                    payload={"horizon_days": rules.DIGEST_HORIZON_DAYS},
                )
            )
            .select_from(with_work)
            .join(user, user.id == with_work.c.user_id)
            .where(
                user.id.in_(self.coordinators),
                self._not_notified(Kind.DIGEST, user.id, user.id, day),
            )
        )

    # --- households ------------------------------------------------------------------------

    def _household_select(
        self, kind: Kind, payload: Mapping[str, Any], for_date: Any, *where: Any
    ) -> Select[Any]:
        household = aliased(Household, name="h")
        user = aliased(User, name="u")
        date_expr = for_date(household) if callable(for_date) else literal(for_date, Date)
        return (
            select(
                *self._row(
                    kind,
                    municipality=household.municipality_id,
                    recipient=user.id,
                    subject=household.id,
                    for_date=date_expr,
                    task=None,
                    household=household.id,
                    payload=payload,
                )
            )
            .select_from(household)
            .join(user, user.id == household.coordinator_id)
            .where(
                household.status == HouseholdStatus.OPEN.value,
                user.active.is_(True),
                self._not_notified(kind, user.id, household.id, date_expr),
                *(w(household) for w in where),
            )
        )

    def _reception_alerts(self, kind: Kind, days: int, window: rules.Window) -> Select[Any]:
        # Until the household has been received; after the date the housing task's
        # overdue notice takes over.
        return self._household_select(
            kind,
            {"days_before": days},
            lambda h: h.latest_reception_date,
            lambda h: h.reception_date.is_(None),
            lambda h: h.latest_reception_date.between(window.first, window.last),
        )

    def _protection_alerts(self) -> Iterable[tuple[Kind, Select[Any]]]:
        if not self.settings.protected_workflows:
            return
        by_end: dict[date, list[int]] = {}
        for municipality_id, end in self.settings.protection_end.items():
            by_end.setdefault(end, []).append(municipality_id)
        for end, municipalities in sorted(by_end.items()):
            for months, window in rules.month_windows(self.day, rules.PROTECTION_ALERT_MONTHS):
                if not window.first <= end <= window.last:
                    continue
                kind = Kind.PROTECTION_END_3M if months == 3 else Kind.PROTECTION_END_1M
                yield (
                    kind,
                    self._household_select(
                        kind,
                        {"months_before": months},
                        end,
                        lambda h, ms=municipalities: h.municipality_id.in_(ms),
                        lambda h: h.workflow_key.in_(sorted(self.settings.protected_workflows)),
                    ),
                )


def _has_role(user: Any, role: Role) -> ColumnElement[bool]:
    # roles is a space-separated list; pad it so "manager" cannot match inside another word.
    padded = literal(" ") + user.roles + literal(" ")
    return padded.like(f"% {role.value} %")
