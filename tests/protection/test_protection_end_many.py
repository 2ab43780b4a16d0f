"""Moving the end of protection for many households at once gives what one at a time gave.

set_protection_end recomputes every household set-based (checklist.recompute_many). The
oracle is the loop it replaced: the public recompute() (or, for a closed household, the
ledger refresh) of one household after another. Two municipalities are given the same
twenty households of mixed state (open, closed, with done tasks, moved out, own housing);
one is moved by set_protection_end, the other by the loop; their stored tasks, ledger,
history and change sets must be the same, row for row, up to the ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from reception.extensions import db
from reception.models import (
    ChangeEvent,
    ChangeSet,
    ExpectedPayment,
    Household,
    HouseholdStatus,
    Municipality,
    Person,
    ProtectionEndScenario,
    Task,
    User,
)
from reception.models.tenancy import tenant
from reception.services import (
    accounts,
    checklist,
    history,
    households,
    protection,
    protection_rules,
    reimbursements,
    tasks,
)

TODAY = date(2026, 5, 4)
COUNT = 20


@pytest.fixture()
def may() -> Iterator[date]:
    with time_machine.travel("2026-05-04 09:00 +02:00", tick=False):
        yield TODAY


def _body(i: int) -> dict[str, Any]:
    adult = {"given_name": f"Olena{i}", "family_name": "K", "birth_date": f"{1970 + i}-04-12"}
    permit = {"permit_date": f"2025-{1 + i % 12:02d}-15"}
    kind = i % 4
    if kind == 0:  # a family in the municipality's housing
        return {
            "reference": f"UA {i}",
            "workflow": "temporary-protection-housing",
            "assignment_date": "2026-01-05",
            "move_in_date": "2026-01-15",
            "members": [
                {**adult, **permit},
                {"given_name": f"Taras{i}", "family_name": "K", "birth_date": "2015-05-20"},
            ],
        }
    if kind == 1:  # a single adult who came earlier
        return {
            "reference": f"UA {i}",
            "workflow": "temporary-protection-housing",
            "assignment_date": "2025-09-01",
            "move_in_date": "2025-09-10",
            "members": [{**adult, **permit}],
        }
    if kind == 2:  # in their own housing: no payments
        return {
            "reference": f"UA {i}",
            "workflow": "temporary-protection-own-housing",
            "assignment_date": "2026-02-01",
            "members": [adult, {**adult, "given_name": f"Ivan{i}", "birth_date": "1985-01-01"}],
        }
    return {  # moved out of the housing in the spring
        "reference": f"UA {i}",
        "workflow": "temporary-protection-housing",
        "assignment_date": "2025-11-01",
        "move_in_date": "2025-11-10",
        "move_out_date": "2026-04-30",
        "members": [{**adult, **permit}],
    }


def _populate(municipality: Municipality) -> User:
    """The same twenty households in the municipality; returns its manager."""
    coordinator = accounts.create_user(
        municipality, f"c@{municipality.code}.example", "Sam Ordnare", ["coordinator"]
    )
    manager = accounts.create_user(
        municipality, f"m@{municipality.code}.example", "Karin Holm", ["manager"]
    )
    with tenant(db.session, municipality.id):
        for i in range(COUNT):
            household = households.create_household(_body(i), coordinator, TODAY)
            if i % 3 == 0:  # some tasks done
                done = db.session.scalars(
                    select(Task.id)
                    .where(Task.household_id == household.id, Task.status == "open")
                    .order_by(Task.id)
                    .limit(2)
                ).all()
                for task_id in done:
                    tasks.complete(task_id, {"completed_on": "2026-04-20"}, coordinator, TODAY)
            if i % 5 == 1:
                households.close_household(
                    household.id,
                    {"reason": "Flyttat", "closed_on": "2026-05-01"},
                    coordinator,
                    TODAY,
                )
    return manager


def _one_at_a_time(raw: dict[str, Any], actor: User) -> None:
    """The oracle: set_protection_end as it was, one household's recompute after another."""
    tp_keys = protection._tp_keys()
    locked = db.session.scalars(
        select(Household)
        .where(Household.workflow_key.in_(tp_keys))
        .options(selectinload(Household.members))
        .order_by(Household.id)
        .with_for_update(of=Household)
        .execution_options(populate_existing=True)
    ).all()
    before = protection.current_end()
    db.session.add(
        ProtectionEndScenario(
            protection_end=date.fromisoformat(raw["protection_end"]),
            reason=raw["reason"],
            set_by_id=actor.id,
        )
    )
    db.session.flush()
    after = protection.current_end()
    reason = history.in_swedish(
        _l("End of temporary protection changed: %(why)s", why=raw["reason"])
    )
    with protection_rules.scenario_held():
        for household in locked:
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
            if household.status == HouseholdStatus.OPEN.value:
                checklist.recompute(household, reason, actor)
            else:
                reimbursements.refresh(household, reason, actor)
    db.session.commit()


def _ledger_names() -> dict[int, tuple[Any, ...]]:
    """Each ledger row's id by what it is (household, person, kind, month)."""
    return {
        row.id: (
            row.household.reference,
            row.person.given_name if row.person else None,
            row.kind,
            row.month,
        )
        for row in db.session.scalars(
            select(ExpectedPayment).options(
                selectinload(ExpectedPayment.household), selectinload(ExpectedPayment.person)
            )
        )
        if row.household is not None
    }


def _snapshot(ledger_before: dict[int, tuple[Any, ...]]) -> dict[str, Any]:
    """Tasks, ledger, history and change sets, with every id replaced by what it names."""
    refs = {h.id: h.reference for h in db.session.scalars(select(Household))}
    people = {p.id: p.given_name for p in db.session.scalars(select(Person))}
    users = {u.id: u.name for u in db.session.scalars(select(User))}
    task_rows = db.session.scalars(select(Task).order_by(Task.id)).all()
    task_names = {t.id: (refs[t.household_id], t.key, people.get(t.person_id)) for t in task_rows}
    ledger_now = _ledger_names()
    ledger_names = {**ledger_before, **ledger_now}
    entity_names = {"task": task_names, "reimbursement": ledger_names, "household": refs}
    stored_ledger = {
        ledger_now[r.id]: (r.amount_sek, r.rule, r.rate_year, r.age_used)
        for r in db.session.scalars(select(ExpectedPayment))
        if r.household_id is not None
    }
    events = [
        (
            refs[e.household_id],
            e.entity,
            entity_names[e.entity][e.entity_id] if e.entity in entity_names else e.entity_id,
            e.field,
            e.old_value,
            e.new_value,
            e.reason,
            users.get(e.actor_id),
            e.change_set_id is not None,
        )
        for e in db.session.scalars(select(ChangeEvent).order_by(ChangeEvent.id))
    ]
    sets = [
        (refs[s.household_id], s.reason, users.get(s.actor_id))
        for s in db.session.scalars(select(ChangeSet).order_by(ChangeSet.id))
    ]
    return {
        "tasks": {
            task_names[t.id]: (
                t.status,
                t.due_date,
                t.due_anchor,
                t.waiting_for,
                t.rolled_from,
                t.completed_on,
                t.version,
            )
            for t in task_rows
        },
        "ledger": stored_ledger,
        "events": events,
        "sets": sets,
    }


def test_moving_the_end_for_many_households_equals_one_at_a_time(
    app_ctx: Any, municipality: Municipality, other_municipality: Municipality, may: date
) -> None:
    # Mid-month, earlier: October's amount cut, the later months' rows removed. Then later
    # again: October's amount back, November's row added back, December's added in part.
    earlier = {"protection_end": "2026-10-15", "reason": "EU:s rådsbeslut"}
    later = {"protection_end": "2026-12-15", "reason": "Förlängt"}
    batched_manager = _populate(municipality)
    looped_manager = _populate(other_municipality)

    results = []
    with tenant(db.session, municipality.id):
        ledger_before = _ledger_names()
        for raw in (earlier, later):
            results.append(protection.set_protection_end(raw, batched_manager))
            ledger_before |= _ledger_names()
        batched = _snapshot(ledger_before)
        moved = [
            (m.task.household.reference, m.task.key, m.old_due, m.new_due)
            for result in results
            for m in result.moved
        ]
    with tenant(db.session, other_municipality.id):
        ledger_before = _ledger_names()
        for raw in (earlier, later):
            _one_at_a_time(raw, looped_manager)
            ledger_before |= _ledger_names()
        looped = _snapshot(ledger_before)

    # The case mix did what it should: open and closed, done tasks, moves and payments cut,
    # added back and changed in amount.
    closed = sum(1 for i in range(COUNT) if i % 5 == 1)
    assert [r.households for r in results] == [COUNT - closed] * 2
    assert {status for status, *_ in batched["tasks"].values()} >= {"open", "done"}
    assert moved and all(old != new for *_, old, new in moved)
    ledger_events = [e for e in batched["events"] if e[1] == "reimbursement"]
    for reason in ("EU:s", "Förlängt"):
        mine = [e for e in ledger_events if reason in e[6]]
        assert any(e[4] is not None and e[5] is not None for e in mine)  # amount changed
    assert any("EU:s" in e[6] and e[5] is None for e in ledger_events)  # removed
    assert any("Förlängt" in e[6] and e[4] is None for e in ledger_events)  # added back
    assert results[0].payment_changes > 0 and results[1].payment_changes > 0
    # … and gave exactly what one household at a time gives.
    assert batched["tasks"] == looped["tasks"]
    assert batched["ledger"] == looped["ledger"]
    assert batched["events"] == looped["events"]
    assert batched["sets"] == looped["sets"]
