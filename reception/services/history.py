"""The change history: every changed task field or date, with who, when and why."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from reception.extensions import db
from reception.models import ChangeEvent, Household, Person, Task, User


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
    db.session.add(
        ChangeEvent(
            household_id=household_id,
            entity=entity,
            entity_id=entity_id,
            field=field,
            old_value=_text(old),
            new_value=_text(new),
            reason=reason[:300],
            actor_id=actor.id if actor else None,
        )
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


def for_household(household_id: int, limit: int = 500) -> list[ChangeEvent]:
    return list(
        db.session.scalars(
            select(ChangeEvent)
            .where(ChangeEvent.household_id == household_id)
            .options(selectinload(ChangeEvent.actor))
            .order_by(ChangeEvent.at.desc(), ChangeEvent.id.desc())
            .limit(limit)
        )
    )
