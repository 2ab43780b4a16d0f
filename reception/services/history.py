"""The change history: every changed field or date, with who, when and why, by operation.

Every operation on a household writes ONE ChangeSet (its reason, actor and time) and the
ChangeEvent rows of its field changes point at it. ``record`` and ``change`` stage the rows
of the running transaction in ``session.info``, per household; ``write`` then inserts them
set-based: one INSERT of the change sets not yet written in this transaction, one INSERT
of all the staged events. checklist.recompute calls ``write`` at its end; a before_commit
hook writes whatever is still staged, so a recorded row cannot be lost by a caller that
does not call ``write``, and the end of the transaction (commit or rollback) forgets the
staging, so a rolled-back row cannot leak into the next one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import force_locale
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, SessionTransaction, selectinload

from reception.extensions import db
from reception.models import ChangeEvent, ChangeSet, Household, Person, Task, User
from reception.models.tenancy import bound_municipality
from reception.services import bulk
from reception.timeutil import utcnow

_STAGED = "history.staged"
REASON_LENGTH = 300


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:500]


def in_swedish(text: Any) -> str:
    """Render a (lazy) message in Swedish: the history is the municipality's record."""
    with force_locale("sv"):
        return str(text)


@dataclass
class _Staged:
    """What the running transaction has recorded, per household id."""

    rows: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # The operation's own reason and actor, when it named itself (see operation()).
    names: dict[int, tuple[str, int | None]] = field(default_factory=dict)
    # Change sets already written in this transaction: later rows join them.
    sets: dict[int, int] = field(default_factory=dict)


def _staged(session: Session) -> _Staged:
    staged = session.info.get(_STAGED)
    if staged is None:
        if not session.in_transaction():
            # Staging belongs to a transaction: its end (commit or rollback) must clear it.
            session.begin()
        staged = session.info[_STAGED] = _Staged()
    return staged


def _actor_id(actor: User | None) -> int | None:
    # The identity, not actor.id: that would reload an actor expired by an earlier commit.
    if actor is None:
        return None
    identity = inspect(actor).identity
    return identity[0] if identity else actor.id


def operation(household_id: int, reason: str, actor: User | None) -> None:
    """Name the running operation on a household: the reason and actor of its change set.

    The first name given in a transaction stays. Without one, the change set is named by
    the reasons of its rows and the actor of the first.
    """
    _staged(db.session()).names.setdefault(household_id, (reason[:REASON_LENGTH], _actor_id(actor)))


def record(
    *,
    household_id: int,
    entity: str,
    entity_id: int,
    field: str,
    old: Any,
    new: Any,
    reason: str,
    actor: User | None,
) -> None:
    """Stage one history row in the current transaction (nothing when unchanged)."""
    if _text(old) == _text(new):
        return
    _staged(db.session()).rows.setdefault(household_id, []).append(
        {
            "entity": entity,
            "entity_id": entity_id,
            "field": field,
            "old_value": _text(old),
            "new_value": _text(new),
            "reason": reason[:REASON_LENGTH],
            "actor_id": _actor_id(actor),
            "at": utcnow(),
        }
    )


def change(
    obj: Household | Person | Task, field: str, value: Any, reason: str, actor: User | None
) -> bool:
    """Set a field of a household, person or task and record the change; False if unchanged."""
    old = getattr(obj, field)
    if _text(old) == _text(value):
        return False
    if isinstance(obj, Household):
        household_id, entity = obj.id, "household"
    else:
        household_id, entity = obj.household_id, "person" if isinstance(obj, Person) else "task"
    record(
        household_id=household_id,
        entity=entity,
        entity_id=obj.id,
        field=field,
        old=old,
        new=value,
        reason=reason,
        actor=actor,
    )
    setattr(obj, field, value)
    return True


def write() -> None:
    """Write the staged rows now, in two statements (see the module docstring)."""
    _write(db.session())


def _write(session: Session) -> None:
    staged: _Staged | None = session.info.get(_STAGED)
    if staged is None or not staged.rows:
        return
    session.flush()  # the households and the rows named by id exist before their history
    municipalities = _municipalities(session, list(staged.rows))
    unnamed = [h for h in staged.rows if h not in staged.sets]
    if unnamed:
        sets = []
        for household_id in unnamed:
            rows = staged.rows[household_id]
            reason, actor_id = staged.names.get(household_id) or (
                _reasons(rows),
                rows[0]["actor_id"],
            )
            sets.append(
                {
                    "municipality_id": municipalities[household_id],
                    "household_id": household_id,
                    "reason": reason,
                    "actor_id": actor_id,
                    "at": rows[0]["at"],
                }
            )
        written = bulk.insert_rows(
            ChangeSet, sets, returning=(ChangeSet.id, ChangeSet.household_id)
        )
        staged.sets.update({household_id: set_id for set_id, household_id in written})
    bulk.insert_rows(
        ChangeEvent,
        [
            {
                **row,
                "municipality_id": municipalities[household_id],
                "household_id": household_id,
                "change_set_id": staged.sets[household_id],
            }
            for household_id, rows in staged.rows.items()
            for row in rows
        ],
    )
    staged.rows.clear()


def _reasons(rows: list[dict[str, Any]]) -> str:
    return "; ".join(dict.fromkeys(row["reason"] for row in rows))[:REASON_LENGTH]


def _municipalities(session: Session, household_ids: list[int]) -> dict[int, int]:
    """The municipality of each household: the bound one, or (system jobs) the stored one."""
    bound = bound_municipality(session)
    if bound is not None:
        return dict.fromkeys(household_ids, bound)
    rows = session.execute(
        select(Household.id, Household.municipality_id).where(Household.id.in_(household_ids))
    )
    return {household_id: municipality_id for household_id, municipality_id in rows}


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    _write(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_staged(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_STAGED, None)


def for_household(household_id: int, limit: int = 500) -> list[ChangeEvent]:
    """The household's changes, newest first, each with its change set (see grouped())."""
    write()
    return list(
        db.session.scalars(
            select(ChangeEvent)
            .where(ChangeEvent.household_id == household_id)
            .options(selectinload(ChangeEvent.actor))
            .order_by(ChangeEvent.at.desc(), ChangeEvent.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class Group:
    """One operation's changes, for showing the history by operation."""

    at: datetime
    actor: User | None
    reason: str
    household_id: int
    events: list[ChangeEvent]


def grouped(events: Sequence[ChangeEvent]) -> list[Group]:
    """Changes (newest first) as operations, newest first; each one's changes in order made.

    Rows written before operations were grouped (no change set) form one group per
    household, reason, actor and second.
    """
    members: dict[tuple[Any, ...], list[ChangeEvent]] = {}
    for e in events:
        key: tuple[Any, ...] = (
            ("set", e.change_set_id)
            if e.change_set_id is not None
            else ("rows", e.household_id, e.reason, e.actor_id, e.at.replace(microsecond=0))
        )
        members.setdefault(key, []).append(e)
    groups = []
    for changes in members.values():
        changes.reverse()
        first = changes[0]
        operation = first.change_set
        if operation is None:
            groups.append(Group(first.at, first.actor, first.reason, first.household_id, changes))
        else:
            groups.append(
                Group(
                    operation.at,
                    operation.actor,
                    operation.reason,
                    operation.household_id,
                    changes,
                )
            )
    return groups
