"""Optimistic concurrency and the one lock order of every write on a household.

Household, person, task and received payment carry a version that SQLAlchemy raises on
every UPDATE (and checks in its WHERE clause, the last line of defence). A client sends
back the version it read (API: If-Match or `version`; web: a hidden field); a write whose
version is older than the stored one is refused with StaleVersion (409) and the current
state, never applied over the other person's change.

Lock order: every use case that writes to a household takes the household's row lock
first, before it reads or flushes anything else of it, and then reads the rows it checks
(so the version check and the write happen under the lock). Two writers on one household
thus queue on one row instead of deadlocking on task rows. A write on several households
(bulk reassignment) locks them in ascending id order (lock_households). SQLite writes one
transaction at a time and ignores FOR UPDATE; the version in the UPDATE still catches a
lost race.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from reception.extensions import db
from reception.models import Household, Person, ReceivedPayment, Task
from reception.services.errors import Conflict, NotFound
from reception.services.validation import Input

Versioned = Household | Person | Task | ReceivedPayment

FIELD = "version"


class StaleVersion(Conflict):
    """The client's copy is older than the stored one: someone else changed it meanwhile."""

    def __init__(self, current: Versioned, message: str | None = None) -> None:
        super().__init__(message or stale_message(current), FIELD)
        self.current = current


def stale_message(obj: Versioned) -> str:
    if isinstance(obj, Household):
        return _("Someone else changed this household after you opened it.")
    if isinstance(obj, Person):
        return _("Someone else changed this person after you opened the page.")
    if isinstance(obj, Task):
        return _("Someone else changed this task after you opened it.")
    return _("Someone else changed this payment after you opened it.")


def expected(data: Input) -> int | None:
    """The version the client read, if it sent one (an error on the field if malformed)."""
    if not data.has(FIELD):
        return None
    return data.integer(FIELD, required=True, minimum=1)


def check(obj: Versioned, version: int | None) -> None:
    """Refuse the write when the client read an older version than the stored one."""
    if version is not None and version != obj.version:
        raise StaleVersion(obj)


def lock_household(household_id: int) -> Household:
    """The household and its members, locked for this transaction and read under the lock."""
    household = db.session.scalar(
        select(Household)
        .where(Household.id == household_id)
        .with_for_update(of=Household)
        .options(selectinload(Household.members))
        .execution_options(populate_existing=True)
    )
    if household is None:
        raise NotFound(_("No such household."), "id")
    return household


def lock_households(household_ids: Iterable[int]) -> list[Household]:
    """Lock several households in ascending id order.

    Every write on more than one household takes its locks in this order, so two of them
    never each hold a household the other waits for.
    """
    ids = sorted(set(household_ids))
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Household)
            .where(Household.id.in_(ids))
            .order_by(Household.id)
            .with_for_update(of=Household)
            .execution_options(populate_existing=True)
        )
    )


def lock_household_of(model: type[Task] | type[Person], ident: int, missing: str) -> Any:
    """Lock the household a task or person belongs to, then read that row under the lock."""
    household_id = db.session.scalar(select(model.household_id).where(model.id == ident))
    if household_id is None:
        raise NotFound(missing, "id")
    household = lock_household(household_id)
    row = db.session.scalar(
        select(model).where(model.id == ident).execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound(missing, "id")
    # The row's household is the one just locked: set it, or reading row.household would
    # load it again (populate_existing passes on to that load) and reset its members.
    set_committed_value(row, "household", household)
    return row


def lock_payment(payment_id: int) -> ReceivedPayment | None:
    return db.session.scalar(
        select(ReceivedPayment)
        .where(ReceivedPayment.id == payment_id)
        .with_for_update(of=ReceivedPayment)
        .execution_options(populate_existing=True)
    )
