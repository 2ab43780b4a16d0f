"""Temporary protection: the transition at registration, linked cases and the end scenario.

**Transition at registration.** A person with temporary protection who is registered
(folkbokförd) normally gets a new assignment under the Settlement Act to the same
municipality (rules.md §4). Mottagning records that as a new settlement case for the
person, linked to the temporary-protection case:

- the person's open temporary-protection tasks are withdrawn (the checklist no longer
  plans them for a registered person) and the daily compensation stops the day before the
  registration date (the ledger counts up to it);
- the settlement case gets ``assignment_date = latest_reception_date = reception_date =``
  the registration date: we have no separate assignment decision date, and the
  establishment schablon is counted from the reception date, so it starts the month after
  the registration. Members registered on the same day share one settlement case;
- the personnummer belongs to the settlement record, the samordningsnummer stays on the
  temporary-protection record, so payments matched by number land on the right case;
- steps already behind the family are settled in the new case rather than asked again
  (see ``_CARRIED``), each with a history reason;
- when every member is registered, the temporary-protection case is closed.

All of it runs inside the caller's transaction (households.update_person commits).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from reception.engine import protection as rules
from reception.engine.status import TaskStatus
from reception.extensions import db
from reception.models import (
    ChangeEvent,
    Household,
    HouseholdStatus,
    Person,
    ProtectionEndScenario,
    Task,
    User,
)
from reception.services import history, protection_rules, reimbursements
from reception.services.checklist import Moved, recompute, recompute_many
from reception.services.errors import NotFound
from reception.services.validation import Input
from reception.services.workflows import registry

# The settlement workflow a registered person continues in, by temporary-protection variant.
SETTLEMENT_WORKFLOW = {
    "temporary_protection_housing": "settlement-reception-centre",
    "temporary_protection_own_housing": "self-settled",
}
REFERENCE_MAX = 50
REASON_MAX = 250  # the reason for an end-of-protection decision
# First day of temporary protection for people from Ukraine (the EU decision of 4 March 2022).
DIRECTIVE_ACTIVATED = date(2022, 3, 4)


@dataclass(frozen=True)
class _Carry:
    status: TaskStatus
    reason: Any  # a lazy message


# Settlement tasks that are already behind a family coming from temporary protection.
_CARRIED: Mapping[str, _Carry] = {
    "housing": _Carry(TaskStatus.DONE, _l("Already lives in housing arranged by the municipality")),
    "first_day_food": _Carry(TaskStatus.NOT_APPLICABLE, _l("Already lives in the municipality")),
    "skatteverket_visit": _Carry(TaskStatus.DONE, _l("Registration (folkbokföring) granted")),
}
# Same step under the same key in both workflows: done there means done here.
_SAME_STEP = ("local_orientation", "school_enrolment")


def _successor(tp: Household, workflow_key: str, on: date) -> Household | None:
    return db.session.scalar(
        select(Household).where(
            Household.previous_household_id == tp.id,
            Household.workflow_key == workflow_key,
            Household.reception_date == on,
            Household.status == HouseholdStatus.OPEN.value,
        )
    )


def _derived_reference(tp: Household) -> str:
    taken = set(
        db.session.scalars(
            select(Household.reference).where(Household.reference.like(f"{tp.reference[:40]}%"))
        )
    )
    number = 1
    while True:
        suffix = f" F{number}"
        reference = tp.reference[: REFERENCE_MAX - len(suffix)] + suffix
        if reference not in taken:
            return reference
        number += 1


def _new_case(tp: Household, workflow_key: str, on: date, reason: str, actor: User | None):
    definition = registry().get(workflow_key)
    case = Household(
        municipality_id=tp.municipality_id,
        reference=_derived_reference(tp),
        workflow_key=definition.key,
        workflow_version=definition.version,
        assignment_date=on,
        latest_reception_date=on,
        reception_date=on,
        coordinator_id=tp.coordinator_id,
        previous_household_id=tp.id,
        status=HouseholdStatus.OPEN.value,
    )
    db.session.add(case)
    db.session.flush()
    history.record(
        household_id=case.id,
        entity="household",
        entity_id=case.id,
        field="previous_household",
        old=None,
        new=tp.reference,
        reason=reason,
        actor=actor,
    )
    return case


def _settle(task: Task, status: TaskStatus, on: date, reason: str, actor: User | None) -> None:
    history.change(task, "status", status.value, reason, actor)
    if status is TaskStatus.DONE:
        history.change(task, "completed_on", on, reason, actor)


def _carry_over(tp: Household, case: Household, on: date, actor: User | None) -> bool:
    """Settle what the family has already done; True when anything changed."""
    tasks = db.session.scalars(select(Task).where(Task.household_id == case.id)).all()
    earlier = {
        (t.key, t.person_id): t
        for t in db.session.scalars(select(Task).where(Task.household_id == tp.id))
        if t.status == TaskStatus.DONE.value and t.completed_on is not None
    }
    previous = {p.id: p.previous_person_id for p in case.members}
    changed = False
    for task in tasks:
        if TaskStatus(task.status).is_settled:
            continue
        carry = _CARRIED.get(task.key)
        if carry is not None:
            _settle(task, carry.status, on, history.in_swedish(carry.reason), actor)
            changed = True
            continue
        if task.key == "personnummer_follow_up" and task.person and task.person.personnummer:
            reason = history.in_swedish(_l("Personnummer already recorded"))
            _settle(task, TaskStatus.DONE, on, reason, actor)
            changed = True
            continue
        if task.key in _SAME_STEP:
            before = earlier.get(
                (task.key, previous.get(task.person_id) if task.person_id else None)
            )
            if before is not None:
                reason = history.in_swedish(
                    _l("Done under temporary protection (case %(ref)s)", ref=tp.reference)
                )
                _settle(task, TaskStatus.DONE, before.completed_on, reason, actor)  # type: ignore[arg-type]
                changed = True
    return changed


def continue_after_registration(tp: Household, person: Person, actor: User | None) -> Household:
    """Move a newly registered person on to a settlement case (see the module docstring)."""
    on = person.registration_date
    assert on is not None
    variant = registry().get(tp.workflow_key, tp.workflow_version).variant
    workflow_key = SETTLEMENT_WORKFLOW[variant]
    reason = history.in_swedish(
        _l(
            "Registered (folkbokförd) on %(date)s: continues under the Settlement Act",
            date=on.isoformat(),
        )
    )
    case = _successor(tp, workflow_key, on) or _new_case(tp, workflow_key, on, reason, actor)
    member = Person(
        municipality_id=tp.municipality_id,
        given_name=person.given_name,
        family_name=person.family_name,
        birth_date=person.birth_date,
        personnummer=person.personnummer,
        registration_date=on,
        personnummer_date=person.personnummer_date,
        samordningsnummer_date=person.samordningsnummer_date,
        permit_date=person.permit_date,
        previous_person_id=person.id,
    )
    if person.personnummer is not None:
        # One record per number: the personnummer identifies the person from now on.
        history.change(person, "personnummer", None, reason, actor)
        db.session.flush()
    case.members.append(member)
    db.session.flush()
    for household_id, entity_id, field_name, value in (
        (tp.id, person.id, "continued_in", case.reference),
        (case.id, member.id, "member", member.full_name),
    ):
        history.record(
            household_id=household_id,
            entity="person",
            entity_id=entity_id,
            field=field_name,
            old=None,
            new=value,
            reason=reason,
            actor=actor,
        )
    recompute(case, reason, actor)
    if _carry_over(tp, case, on, actor):
        recompute(case, reason, actor)
    if all(p.registration_date is not None for p in tp.members):
        _close(tp, on, case, actor)
    return case


def _close(tp: Household, on: date, case: Household, actor: User | None) -> None:
    reason = history.in_swedish(
        _l("Everyone is registered; the case continues as %(ref)s", ref=case.reference)
    )
    for task in db.session.scalars(select(Task).where(Task.household_id == tp.id)):
        if not TaskStatus(task.status).is_settled:
            _settle(task, TaskStatus.WITHDRAWN, on, reason, actor)
    for field_name, value in (
        ("status", HouseholdStatus.CLOSED.value),
        ("closed_on", on),
        ("closed_reason", reason[:200]),
    ):
        history.change(tp, field_name, value, reason, actor)


# --- the linked cases as one history -------------------------------------------------------


@dataclass
class Chain:
    """A family's linked cases, oldest first, and their merged history, newest first."""

    households: list[Household] = field(default_factory=list)
    events: list[ChangeEvent] = field(default_factory=list)


def _household(household_id: int) -> Household | None:
    # A query, not session.get: the identity map could hand back another tenant's row.
    return db.session.scalar(
        select(Household)
        .where(Household.id == household_id)
        .options(selectinload(Household.members))
    )


def chain(household_id: int, limit: int = 1000) -> Chain:
    """Every case linked to this one (earlier and later), and all their history."""
    start = _household(household_id)
    if start is None:
        raise NotFound(_("No such household."), "id")
    root = start
    seen = {root.id}
    while root.previous_household_id is not None and root.previous_household_id not in seen:
        parent = _household(root.previous_household_id)
        if parent is None:
            break
        root = parent
        seen.add(root.id)
    found = {root.id: root}
    frontier = [root.id]
    while frontier:
        children = db.session.scalars(
            select(Household)
            .where(Household.previous_household_id.in_(frontier))
            .options(selectinload(Household.members))
        ).all()
        frontier = [c.id for c in children if c.id not in found]
        found.update({c.id: c for c in children})
    households = sorted(found.values(), key=lambda h: (h.assignment_date, h.id))
    events = list(
        db.session.scalars(
            select(ChangeEvent)
            .where(ChangeEvent.household_id.in_(found))
            .options(selectinload(ChangeEvent.actor))
            .order_by(ChangeEvent.at.desc(), ChangeEvent.id.desc())
            .limit(limit)
        )
    )
    return Chain(households, events)


def continued_in(person_id: int) -> Household | None:
    """The settlement case a registered person continues in, if any."""
    return db.session.scalar(
        select(Household).join(Person).where(Person.previous_person_id == person_id)
    )


def is_linked(household: Household) -> bool:
    """Whether the case can have linked cases: only temporary protection leads on to others."""
    return household.previous_household_id is not None or protection_rules.is_temporary_protection(
        household
    )


# --- the end of protection ------------------------------------------------------------------


@dataclass(frozen=True)
class ProtectionEnd:
    protection_end: date  # first day without protection
    last_protected_day: date
    default_end: date  # from the rate files
    scenario: ProtectionEndScenario | None


def current_end() -> ProtectionEnd:
    book = reimbursements.rate_book()
    default = rules.protection_end(None, book.protection_valid_through)
    scenario = protection_rules.current_scenario()
    end = protection_rules.protection_end(book)
    return ProtectionEnd(end, rules.last_protected_day(end), default, scenario)


def scenarios(limit: int = 100) -> list[ProtectionEndScenario]:
    return list(
        db.session.scalars(
            select(ProtectionEndScenario)
            .options(selectinload(ProtectionEndScenario.set_by))
            .order_by(ProtectionEndScenario.set_at.desc(), ProtectionEndScenario.id.desc())
            .limit(limit)
        )
    )


@dataclass
class ScenarioResult:
    end: ProtectionEnd
    households: int = 0  # open households recomputed
    moved: list[Moved] = field(default_factory=list)  # tasks whose due date moved
    payment_changes: int = 0  # expected payments added, changed or removed, all households


def _tp_keys() -> list[str]:
    return [d.key for d in registry().all() if d.variant in protection_rules.TP_VARIANTS]


def _lock_tp_households() -> list[Household]:
    """Every temporary-protection household, locked in id order (services/versions.py).

    One SELECT … FOR UPDATE ordered by id: two municipality-wide changes queue behind each
    other, and a writer on one household waits for (or is waited for by) the whole set
    without a deadlock.
    """
    return list(
        db.session.scalars(
            select(Household)
            .where(Household.workflow_key.in_(_tp_keys()))
            .options(selectinload(Household.members))
            .order_by(Household.id)
            .with_for_update(of=Household)
            .execution_options(populate_existing=True)
        )
    )


def set_protection_end(raw: Mapping[str, Any], actor: User | None) -> ScenarioResult:
    """Record the municipality's end of protection; every household follows in one go.

    ``protection_end`` is the first day without protection (null returns to the rate
    files' date); ``reason`` says why (an EU decision, an extension) and is kept with the
    decision and in every affected household's history. Open households' tasks (the alert
    before the end, among others) and every temporary-protection household's expected
    payments are recomputed in the same transaction.

    Set-based (checklist.recompute_many, reimbursements.refresh_many): every household is
    computed once by the pure engine and calculator, with the new decision read once, and
    all of them are read and written together, a fixed handful of statements whatever
    their number (a closed household only has its ledger refreshed).
    """
    data = Input(raw)
    if not data.has("protection_end"):
        data.error("protection_end", _("This field is required."))
    end = data.date("protection_end")
    if end is not None and end <= DIRECTIVE_ACTIVATED:
        data.error("protection_end", _("The date is before temporary protection began."))
    reason_text = data.text("reason", required=True, max_length=REASON_MAX)
    data.raise_if_errors()
    assert reason_text is not None
    households = _lock_tp_households()
    before = current_end()
    db.session.add(
        ProtectionEndScenario(
            protection_end=end,
            reason=reason_text,
            set_by_id=actor.id if actor else None,
        )
    )
    db.session.flush()
    after = current_end()
    result = ScenarioResult(after)
    reason = history.in_swedish(_l("End of temporary protection changed: %(why)s", why=reason_text))
    opened = [h for h in households if h.status == HouseholdStatus.OPEN.value]
    closed = [h for h in households if h.status != HouseholdStatus.OPEN.value]
    with protection_rules.scenario_held():
        for household in households:
            history.record(
                household_id=household.id,
                entity="household",
                entity_id=household.id,
                field="protection_end",
                old=before.protection_end,
                new=after.protection_end,
                reason=reason,
                actor=actor,
            )
        # The closed ones first: recompute_many writes all the history staged so far, in
        # household order, so every household's rows stay together.
        ledger = reimbursements.refresh_many(closed, reason, actor)
        recomputed = recompute_many(opened, reason, actor)
        ledger |= recomputed.ledger
    result.households = len(opened)
    result.moved = [m for h in opened for m in recomputed.moved[h.id]]
    result.payment_changes = sum(len(refreshed.changes) for refreshed in ledger.values())
    db.session.commit()
    return result
