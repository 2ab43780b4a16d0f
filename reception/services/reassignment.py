"""Moving a coordinator's open tasks and households to another coordinator in one go.

Used when someone leaves, goes on leave or is overloaded. One call is one
transaction: every task and household moves, each with a history row, or
nothing does. It locks the households whose work moves (ascending ids, the lock
order of services/versions.py) and chooses the rows under those locks, so an edit
of one of them waits for it or it for the edit; what it changes gets a new version,
so a form opened before it is refused as stale instead of undoing the move.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update

from reception.extensions import db
from reception.models import Household, HouseholdStatus, Role, Task, User
from reception.services import history, versions
from reception.services.dashboard import UNSETTLED
from reception.services.validation import Input

TASKS = "tasks"
HOUSEHOLDS = "households"


@dataclass(frozen=True)
class Reassigned:
    from_user: User
    to_user: User
    tasks: int
    households: int


def coordinators() -> list[User]:
    """Active coordinators of the bound municipality, by name: who work can move to."""
    users = db.session.scalars(select(User).where(User.active.is_(True)))
    return sorted(
        (u for u in users if u.has_role(Role.COORDINATOR)), key=lambda u: u.name.casefold()
    )


def _user(data: Input, field: str) -> User | None:
    user_id = data.integer(field, required=True, minimum=1)
    if user_id is None:
        return None
    # A query, not session.get: the identity map could hold another municipality's user.
    user = db.session.scalar(select(User).where(User.id == user_id))
    if user is None:
        data.error(field, _("No such user in this municipality."))
    return user


def reassign(raw: Mapping[str, Any], actor: User | None) -> Reassigned:
    """Move open tasks and/or open households from one user to an active coordinator.

    raw: from_user_id, to_user_id, and `move`, a list holding "tasks" and/or
    "households" (a form's checkboxes). The source may be any user of the
    municipality, including one who has left; the target must be an active coordinator.
    """
    data = Input(raw)
    source = _user(data, "from_user_id")
    target = _user(data, "to_user_id")
    if target is not None and not (target.active and target.has_role(Role.COORDINATOR)):
        data.error("to_user_id", _("Choose an active coordinator of this municipality."))
        target = None
    if source is not None and target is not None and source.id == target.id:
        data.error("to_user_id", _("Choose a different coordinator than the one work moves from."))
    move = raw.get("move")
    chosen = {move} if isinstance(move, str) else set(move or ())
    if not chosen or not chosen <= {TASKS, HOUSEHOLDS}:
        data.error("move", _("Choose tasks, households or both."))
    data.raise_if_errors()
    assert source is not None and target is not None

    locked = [h.id for h in versions.lock_households(_households_with_work(source, chosen))]
    tasks = _move_tasks(source, target, actor, locked) if TASKS in chosen else 0
    households = _move_households(source, target, actor, locked) if HOUSEHOLDS in chosen else 0
    db.session.commit()
    return Reassigned(source, target, tasks, households)


def _reason(source: User, target: User) -> str:
    return history.in_swedish(
        _l("Reassigned in bulk from %(old)s to %(new)s", old=source.name, new=target.name)
    )


def _open_tasks_of(source: User) -> Select[tuple[int, int]]:
    return (
        select(Task.id, Task.household_id)
        .join(Household, Household.id == Task.household_id)
        .where(
            Task.assignee_id == source.id,
            Task.status.in_(UNSETTLED),
            Household.status == HouseholdStatus.OPEN.value,
        )
    )


def _open_households_of(source: User) -> Select[tuple[int]]:
    return select(Household.id).where(
        Household.coordinator_id == source.id,
        Household.status == HouseholdStatus.OPEN.value,
    )


def _households_with_work(source: User, chosen: set[str]) -> set[int]:
    """The households whose tasks or coordinator would move (read before taking the locks)."""
    ids: set[int] = set()
    if TASKS in chosen:
        ids.update(
            household_id for _task, household_id in db.session.execute(_open_tasks_of(source))
        )
    if HOUSEHOLDS in chosen:
        ids.update(db.session.scalars(_open_households_of(source)))
    return ids


def _move_tasks(source: User, target: User, actor: User | None, locked: list[int]) -> int:
    # Read again under the locks: a task reassigned or settled meanwhile no longer moves.
    rows = db.session.execute(_open_tasks_of(source).where(Task.household_id.in_(locked))).all()
    return _move(Task, "task", "assignee_id", [(t, h) for t, h in rows], source, target, actor)


def _move_households(source: User, target: User, actor: User | None, locked: list[int]) -> int:
    ids = db.session.scalars(_open_households_of(source).where(Household.id.in_(locked)))
    rows = [(household_id, household_id) for household_id in ids]
    return _move(Household, "household", "coordinator_id", rows, source, target, actor)


def _move(
    model: type[Task] | type[Household],
    entity: str,
    field: str,
    rows: list[tuple[int, int]],
    source: User,
    target: User,
    actor: User | None,
) -> int:
    """Point ``field`` of the rows (id, household id) at the target, one history row each."""
    if not rows:
        return 0
    reason = _reason(source, target)
    for entity_id, household_id in rows:
        history.record(
            household_id=household_id,
            entity=entity,
            entity_id=entity_id,
            field=field,
            old=source.id,
            new=target.id,
            reason=reason,
            actor=actor,
        )
    db.session.execute(
        update(model)
        .where(model.id.in_([entity_id for entity_id, _household in rows]))
        # A bulk UPDATE bypasses the ORM's version counter: raise it here.
        .values({field: target.id, model.version: model.version + 1})
        .execution_options(synchronize_session="fetch")
    )
    return len(rows)
