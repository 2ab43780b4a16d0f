"""The set-based registration writes what the per-household path (ORM + recompute) writes.

The same household is registered in two municipalities: once the way households were
registered before (ORM objects, a flush, checklist.recompute) and once through
households.create_household, which writes with registration.create_many. Tasks, ledger rows
and history lines must be the same, named by what they are rather than by their ids.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from reception.demo import identity_number
from reception.extensions import db
from reception.models import (
    ChangeEvent,
    ChangeSet,
    ExpectedPayment,
    Household,
    Municipality,
    Person,
    ProtectionEndScenario,
    Task,
    User,
)
from reception.models.tenancy import tenant
from reception.services import accounts, history, households
from reception.services.checklist import recompute
from reception.services.registration import HouseholdInput

SETTLED = {
    "reference": "KS 2026/001",
    "assignment_date": "2026-03-10",
    "reception_date": "2026-04-20",
    "members": [
        {
            "given_name": "Rania",
            "family_name": "Al-Hassan",
            "birth_date": "1991-01-15",
            "personnummer": identity_number(date(1991, 1, 15), 100),
        },
        {
            "given_name": "Omar",
            "family_name": "Al-Hassan",
            "birth_date": "1993-03-02",
            "personnummer": identity_number(date(1993, 3, 2), 101, coordination=True),
        },
        {"given_name": "Lina", "family_name": "Al-Hassan", "birth_date": "2014-02-10"},
        {"given_name": "Yusuf", "family_name": "Al-Hassan", "birth_date": "2021-09-30"},
    ],
}
PROTECTED = {
    "reference": "UA 2026/001",
    "assignment_date": "2026-01-05",
    "move_in_date": "2026-01-15",
    "members": [
        {
            "given_name": "Olena",
            "family_name": "Kovalenko",
            "birth_date": "1988-04-12",
            "permit_date": "2025-06-25",
            "samordningsnummer_date": "2025-06-25",
        },
        {"given_name": "Taras", "family_name": "Kovalenko", "birth_date": "2015-05-20"},
    ],
}
CASES = [
    ("settlement-reception-centre", SETTLED),
    ("settlement-resettled", {**SETTLED, "latest_reception_date": "2026-05-08"}),
    ("self-settled", SETTLED),
    ("settlement-reception-centre", {**SETTLED, "reception_date": None}),
    ("temporary-protection-housing", PROTECTED),
    ("temporary-protection-own-housing", {**PROTECTED, "move_in_date": None}),
]


def _per_household(raw: dict[str, Any], actor: User, today: date) -> int:
    """The registration as it was before create_many: ORM objects, flush, recompute."""
    validated, errors = households.read_household(raw, today)
    assert not errors and validated is not None
    household = Household(
        reference=validated.reference,
        workflow_key=validated.workflow_key,
        workflow_version=validated.workflow_version,
        assignment_date=validated.assignment_date,
        latest_reception_date=validated.latest_reception_date,
        reception_date=validated.reception_date,
        move_in_date=validated.move_in_date,
        move_out_date=validated.move_out_date,
        coordinator_id=validated.coordinator_id,
    )
    db.session.add(household)
    for member in validated.members:
        household.members.append(_person(member))
    db.session.flush()
    recompute(household, history.in_swedish(_l("Household registered")), actor)
    db.session.commit()
    return household.id


def _person(member: Any) -> Person:
    return Person(
        given_name=member.given_name,
        family_name=member.family_name,
        birth_date=member.birth_date,
        personnummer=member.personnummer,
        samordningsnummer=member.samordningsnummer,
        samordningsnummer_date=member.samordningsnummer_date,
        permit_date=member.permit_date,
    )


def _stored(household_id: int) -> dict[str, Any]:
    """Everything written for the household, with ids replaced by what they name."""
    household = db.session.get(Household, household_id)
    assert household is not None
    persons = {p.id: p.full_name for p in household.members}
    users = {u.id: u.name for u in db.session.scalars(select(User))}
    tasks = db.session.scalars(select(Task).where(Task.household_id == household_id)).all()
    task_names = {t.id: (t.key, persons.get(t.person_id)) for t in tasks}
    payments = db.session.scalars(
        select(ExpectedPayment).where(ExpectedPayment.household_id == household_id)
    ).all()
    payment_names = {p.id: (p.kind, p.month, persons.get(p.person_id)) for p in payments}
    events = db.session.scalars(
        select(ChangeEvent).where(ChangeEvent.household_id == household_id)
    ).all()
    names = {"task": task_names, "reimbursement": payment_names}
    return {
        "household": (
            household.reference,
            household.workflow_key,
            household.workflow_version,
            household.assignment_date,
            household.latest_reception_date,
            household.reception_date,
            household.move_in_date,
            household.status,
            users.get(household.coordinator_id),
            household.version,
        ),
        "persons": sorted(
            (
                p.full_name,
                p.birth_date,
                p.personnummer,
                p.samordningsnummer,
                p.permit_date,
                p.samordningsnummer_date,
                p.version,
            )
            for p in household.members
        ),
        "tasks": sorted(
            (
                t.key,
                persons.get(t.person_id),
                t.title_sv,
                t.title_en,
                t.due_date,
                t.due_anchor,
                t.waiting_for,
                t.rolled_from,
                t.status,
                users.get(t.assignee_id),
                t.reminder_days,
                t.version,
            )
            for t in tasks
        ),
        "ledger": sorted(
            (
                persons.get(p.person_id),
                p.kind,
                p.month,
                p.amount_sek,
                p.rule,
                p.rate_year,
                p.age_used,
            )
            for p in payments
        ),
        "history": sorted(
            (
                e.entity,
                names[e.entity][e.entity_id],
                e.field,
                e.old_value,
                e.new_value,
                e.reason,
                users.get(e.actor_id),
            )
            for e in events
        ),
    }


@pytest.mark.parametrize(("workflow", "body"), CASES)
def test_create_household_writes_what_recompute_writes(
    municipality: Municipality,
    other_municipality: Municipality,
    frozen_today: date,
    workflow: str,
    body: dict[str, Any],
) -> None:
    raw = {k: v for k, v in {**body, "workflow": workflow}.items() if v is not None}
    one = accounts.create_user(municipality, "sam1@example.org", "Sam", ["coordinator"])
    with tenant(db.session, municipality.id):
        reference_id = _per_household({**raw, "coordinator_id": one.id}, one, frozen_today)
        expected = _stored(reference_id)
    two = accounts.create_user(other_municipality, "sam2@example.org", "Sam", ["coordinator"])
    with tenant(db.session, other_municipality.id):
        created = households.create_household({**raw, "coordinator_id": two.id}, two, frozen_today)
        actual = _stored(created.id)
        change_sets = db.session.scalars(
            select(ChangeSet).where(ChangeSet.household_id == created.id)
        ).all()
        grouped = {
            e.change_set_id
            for e in db.session.scalars(
                select(ChangeEvent).where(ChangeEvent.household_id == created.id)
            )
        }
    for part in ("household", "persons", "tasks", "ledger", "history"):
        assert actual[part] == expected[part], part
    assert expected["tasks"], "the case should plan tasks"
    if workflow != "temporary-protection-own-housing" and body.get("reception_date", 1):
        assert expected["ledger"], "the case should bring payments"
    # One operation in the history, every line of it grouped under it.
    assert [(s.reason, s.actor_id) for s in change_sets] == [("Hushållet registrerat", two.id)]
    assert grouped == {change_sets[0].id}
    assert [m.full_name for m in created.members]  # the returned household has its members


def test_create_many_writes_a_batch_in_one_go(in_tenant: Municipality, frozen_today: date) -> None:
    """Many households at once: each gets its own members, tasks, ledger and change set."""
    from reception.services import registration

    batch: list[HouseholdInput] = []
    for index in range(30):
        raw = {
            **SETTLED,
            "workflow": "settlement-reception-centre",
            "reference": f"KS 2026/{index:03d}",
            "members": [
                {**m, "personnummer": None} if m.get("personnummer") else m
                for m in SETTLED["members"][index % 3 :]
            ],
        }
        validated, errors = households.read_household(raw, frozen_today)
        assert not errors and validated is not None
        batch.append(validated)
    assert registration.find_clashes(batch) == []
    created = registration.create_many(batch, None, "Importerad")
    db.session.commit()
    assert len(created.household_ids) == 30
    single = households.create_household(
        {**SETTLED, "workflow": "settlement-reception-centre", "reference": "KS 2026/999"},
        None,
        frozen_today,
    )
    for index, household_id in enumerate(created.household_ids):
        stored = _stored(household_id)
        assert stored["household"][0] == f"KS 2026/{index:03d}"
        assert len(stored["persons"]) == 4 - index % 3
        assert {row[5] for row in stored["history"]} == {"Importerad"}
    # The households of the batch have exactly the rows one created alone has for the
    # same members (the first of every three households has all four).
    expected = _stored(single.id)
    first = _stored(created.household_ids[0])
    for part in ("tasks", "ledger"):
        assert first[part] == expected[part]
    counts = {
        "persons": db.session.query(Person).count(),
        "tasks": db.session.query(Task).count(),
        "payments": db.session.query(ExpectedPayment).count(),
        "change_sets": db.session.query(ChangeSet).count(),
    }
    assert counts["persons"] == created.persons + 4
    assert counts["tasks"] == created.tasks + len(expected["tasks"])
    assert counts["payments"] == created.payments + len(expected["ledger"])
    assert counts["change_sets"] == 31


def _batch(count: int, today: date, number: str, prefix: str) -> list[HouseholdInput]:
    """`count` four-member households; the last one's first member has `number`."""
    batch = []
    for index in range(count):
        members = [dict(m, personnummer=None) for m in SETTLED["members"]]
        if index == count - 1:
            members[0]["personnummer"] = number
        raw = {
            **SETTLED,
            "workflow": "settlement-reception-centre",
            "reference": f"{prefix} {index}",
            "members": members,
        }
        validated, errors = households.read_household(raw, today)
        assert not errors and validated is not None
        batch.append(validated)
    return batch


@pytest.mark.postgres
@pytest.mark.parametrize("count", [1, 60], ids=["insert", "copy"])
def test_a_number_taken_by_a_concurrent_writer_is_a_409(
    app: Flask, municipality: Municipality, count: int
) -> None:
    """Two writers pass the checks for the same personnummer; the unique index decides.

    The second writer's INSERT (or, for a large batch, its COPY) waits for the first's
    transaction and then fails on the index: a Conflict naming the field, nothing written.
    """
    import threading
    import time

    from reception.services import registration
    from reception.services.errors import Conflict

    today = date(2026, 5, 1)
    municipality_id = municipality.id
    number = SETTLED["members"][0]["personnummer"]
    first_written = threading.Event()
    second_checked = threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        with app.app_context(), tenant(db.session, municipality_id):
            try:
                batch = _batch(1, today, number, "A")
                assert registration.find_clashes(batch) == []
                registration.create_many(batch, None, "Hushållet registrerat")
                first_written.set()
                second_checked.wait(10)
                time.sleep(0.5)  # the second writer is now waiting on the index
                db.session.commit()
            except BaseException as exc:
                outcome["first"] = exc
            finally:
                db.session.remove()

    def second() -> None:
        with app.app_context(), tenant(db.session, municipality_id):
            try:
                first_written.wait(10)
                batch = _batch(count, today, number, "B")
                # The first writer has not committed: its number is not visible yet.
                assert registration.find_clashes(batch) == []
                second_checked.set()
                registration.create_many(batch, None, "Importerad")
                db.session.commit()
                outcome["second"] = "written"
            except Conflict as exc:
                outcome["second"] = (exc.status, exc.field)
            except BaseException as exc:
                outcome["second"] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert "first" not in outcome, outcome
    assert outcome["second"] == (409, "personnummer")
    with tenant(db.session, municipality.id):
        assert [h.reference for h in households.list_households()[0]] == ["A 0"]
        assert db.session.query(Person).count() == 4


def test_a_municipalitys_own_end_of_protection_is_planned_with_on_both_paths(
    municipality: Municipality, other_municipality: Municipality, frozen_today: date
) -> None:
    """create_many reads the municipality's decision (when a household of temporary
    protection asks for it) as recompute does: the ledger stops before that end."""
    end = date(2026, 9, 1)
    raw = {**PROTECTED, "workflow": "temporary-protection-housing"}
    stored = []
    for place in (municipality, other_municipality):
        with tenant(db.session, place.id):
            db.session.add(ProtectionEndScenario(protection_end=end, reason="Beslut"))
            db.session.commit()
            if place is municipality:
                household_id = _per_household(raw, None, frozen_today)  # type: ignore[arg-type]
            else:
                household_id = households.create_household(raw, None, frozen_today).id
            stored.append(_stored(household_id))
    expected, actual = stored
    for part in ("household", "persons", "tasks", "ledger", "history"):
        assert actual[part] == expected[part], part
    months = [month for _person, _kind, month, *_rest in actual["ledger"]]
    assert months and max(months) < end
