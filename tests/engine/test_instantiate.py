"""Planning and recomputation with the shipped workflows, dates worked out by hand.

The household of the acceptance criteria: two adults (35, 33) and two children
(12, 4), assigned 2026-03-10 and received 2026-04-20 (a Monday).
"""

from datetime import date
from pathlib import Path

import pytest

from reception.engine.calendar import add_months
from reception.engine.definitions import WorkflowDefinition, load_directory
from reception.engine.instantiate import HouseholdFacts, PersonFacts, PlannedTask, TaskRef, plan
from reception.engine.recompute import (
    Create,
    ExistingTask,
    Reschedule,
    Revive,
    Withdraw,
    blocked_by,
    reconcile,
)
from reception.engine.status import TaskStatus

REGISTRY = load_directory(Path(__file__).resolve().parents[2] / "workflows")

MOTHER = PersonFacts(1, date(1991, 1, 15))  # 35 on 2026-04-20
FATHER = PersonFacts(2, date(1993, 3, 2))  # 33
GIRL = PersonFacts(3, date(2014, 2, 10))  # 12
BOY = PersonFacts(4, date(2021, 9, 30))  # 4
ASSIGNED = date(2026, 3, 10)
RECEIVED = date(2026, 4, 20)


def family(reception: date | None = RECEIVED, *persons: PersonFacts) -> HouseholdFacts:
    return HouseholdFacts(
        assignment_date=ASSIGNED,
        latest_reception_date=add_months(ASSIGNED, 2),
        reception_date=reception,
        persons=persons or (MOTHER, FATHER, GIRL, BOY),
    )


def by_key(tasks: list[PlannedTask], key: str) -> list[PlannedTask]:
    return [t for t in tasks if t.key == key]


@pytest.fixture(params=["settlement-reception-centre", "settlement-resettled", "self-settled"])
def workflow(request: pytest.FixtureRequest) -> WorkflowDefinition:
    return REGISTRY.get(request.param)


def test_acceptance_household(workflow: WorkflowDefinition) -> None:
    tasks = plan(workflow, family())
    if workflow.key != "self-settled":
        (housing,) = by_key(tasks, "housing")
        # 2026-03-10 + 2 months = 2026-05-10, a Sunday, kept: it is the municipality's deadline.
        assert housing.due_date == date(2026, 5, 10)
        assert housing.rolled_from is None
    else:
        assert by_key(tasks, "housing") == []  # no housing duty for the self-settled
    (visit,) = by_key(tasks, "skatteverket_visit")
    assert visit.due_date == date(2026, 5, 4)  # 2026-04-20 + 14 days
    assert visit.due_anchor == "reception_date"
    assert [t.person_id for t in by_key(tasks, "sfi_application")] == [1, 2]
    assert [t.person_id for t in by_key(tasks, "school_enrolment")] == [3, 4]
    civic = by_key(tasks, "civic_orientation_offer")
    assert [t.person_id for t in civic] == [1, 2]
    assert all(t.due_date is None and t.waiting_for == "registration_date" for t in civic)
    duty = by_key(tasks, "civic_orientation_duty_end")
    assert all(t.due_date is None for t in duty)


def test_registration_gives_civic_orientation_dates(workflow: WorkflowDefinition) -> None:
    registered = PersonFacts(1, MOTHER.birth_date, registration_date=date(2026, 6, 15))
    tasks = plan(workflow, family(RECEIVED, registered, FATHER, GIRL, BOY))
    (duty,) = [t for t in by_key(tasks, "civic_orientation_duty_end") if t.person_id == 1]
    assert duty.due_date == date(2029, 6, 15)  # duty ends 3 years after first registration
    (offer,) = [t for t in by_key(tasks, "civic_orientation_offer") if t.person_id == 1]
    assert offer.due_date is not None and offer.due_date > date(2026, 6, 15)
    # The father is not registered yet: still waiting.
    (other,) = [t for t in by_key(tasks, "civic_orientation_offer") if t.person_id == 2]
    assert other.due_date is None


def test_civic_orientation_age_range_at_registration() -> None:
    workflow = REGISTRY.get("settlement-reception-centre")
    # 17 at reception, 18 by registration: in scope once the registration date is known.
    teen = PersonFacts(5, date(2008, 6, 1))
    before = plan(workflow, family(RECEIVED, MOTHER, teen))
    assert [t.person_id for t in by_key(before, "civic_orientation_offer")] == [1]
    registered = PersonFacts(5, teen.birth_date, registration_date=date(2026, 6, 10))
    after = plan(workflow, family(RECEIVED, MOTHER, registered))
    assert [t.person_id for t in by_key(after, "civic_orientation_offer")] == [1, 5]
    # 67 at registration: past the pension reference age, no civic orientation.
    senior = PersonFacts(6, date(1959, 1, 1), registration_date=date(2026, 6, 10))
    assert by_key(plan(workflow, family(RECEIVED, senior)), "civic_orientation_offer") == []


def test_unknown_reception_date_waits() -> None:
    workflow = REGISTRY.get("settlement-reception-centre")
    tasks = plan(workflow, family(None))
    (visit,) = by_key(tasks, "skatteverket_visit")
    assert visit.due_date is None and visit.waiting_for == "reception_date"
    (housing,) = by_key(tasks, "housing")
    assert housing.due_date == date(2026, 5, 10)


def test_resettled_preparations_before_arrival() -> None:
    workflow = REGISTRY.get("settlement-resettled")
    tasks = plan(workflow, family(None))
    keys = {t.key for t in tasks}
    assert {"health_examination", "first_day_food", "airport_pickup"} <= keys
    # Without a reception date the preparations count back from the latest reception date.
    (food,) = by_key(tasks, "first_day_food")
    assert food.due_date is not None and food.due_date < date(2026, 5, 10)
    assert food.due_anchor == "latest_reception_date"


def test_task_anchor_counts_from_completion() -> None:
    workflow = REGISTRY.get("settlement-reception-centre")
    completions = {TaskRef("sfi_application", 1): date(2026, 4, 30)}
    tasks = plan(workflow, family(), completions)
    starts = {t.person_id: t for t in by_key(tasks, "sfi_start")}
    assert starts[1].due_date == date(2026, 7, 30)  # SFI within 3 months of the application
    assert starts[2].due_date is None and starts[2].waiting_for == "task:sfi_application"


def test_member_added_later_gets_tasks() -> None:
    workflow = REGISTRY.get("settlement-reception-centre")
    before = plan(workflow, family())
    # A child arriving later through family reunification.
    late_child = PersonFacts(7, date(2019, 5, 2))
    after = plan(workflow, family(RECEIVED, MOTHER, FATHER, GIRL, BOY, late_child))
    existing = [
        ExistingTask(i, t.key, t.person_id, TaskStatus.OPEN, t.due_date, t.waiting_for)
        for i, t in enumerate(before, start=1)
    ]
    changes = reconcile(existing, after)
    created = [c.planned for c in changes if isinstance(c, Create)]
    assert created and all(p.person_id == 7 for p in created)
    assert "school_enrolment" in {p.key for p in created}
    assert not [c for c in changes if not isinstance(c, Create)]


def test_moving_reception_moves_open_tasks_and_keeps_done_ones() -> None:
    workflow = REGISTRY.get("settlement-reception-centre")
    first = plan(workflow, family())
    ids = {t.ref: i for i, t in enumerate(first, start=1)}
    done = {TaskRef("skatteverket_visit"), TaskRef("school_enrolment", 3)}
    existing = [
        ExistingTask(
            ids[t.ref],
            t.key,
            t.person_id,
            TaskStatus.DONE if t.ref in done else TaskStatus.OPEN,
            t.due_date,
            t.waiting_for,
        )
        for t in first
    ]
    moved = plan(workflow, family(date(2026, 4, 27)))
    changes = reconcile(existing, moved)
    rescheduled = {c.planned.ref: c for c in changes if isinstance(c, Reschedule)}
    assert TaskRef("skatteverket_visit") not in rescheduled  # done: stays
    assert TaskRef("school_enrolment", 3) not in rescheduled
    assert rescheduled[TaskRef("school_enrolment", 4)].old_due == date(2026, 5, 20)
    assert rescheduled[TaskRef("school_enrolment", 4)].planned.due_date == date(2026, 5, 27)
    assert TaskRef("housing") not in rescheduled  # anchored on the assignment
    assert all(isinstance(c, Reschedule) for c in changes)


def test_withdraw_and_revive() -> None:
    workflow = REGISTRY.get("settlement-reception-centre")
    first = plan(workflow, family())
    existing = [
        ExistingTask(i, t.key, t.person_id, TaskStatus.OPEN, t.due_date, t.waiting_for)
        for i, t in enumerate(first, start=1)
    ]
    without_boy = plan(workflow, family(RECEIVED, MOTHER, FATHER, GIRL))
    withdrawn = {c.task_id for c in reconcile(existing, without_boy) if isinstance(c, Withdraw)}
    boys = {i for i, t in enumerate(first, start=1) if t.person_id == 4}
    assert withdrawn == boys
    back = [
        ExistingTask(e.id, e.key, e.person_id, TaskStatus.WITHDRAWN, e.due_date, e.waiting_for)
        if e.id in withdrawn
        else e
        for e in existing
    ]
    revived = {c.task_id for c in reconcile(back, first) if isinstance(c, Revive)}
    assert revived == boys


def test_dependencies_block_until_done() -> None:
    workflow = REGISTRY.get("settlement-reception-centre")
    tasks = plan(workflow, family())
    statuses = {t.ref: TaskStatus.OPEN for t in tasks}
    blocked = blocked_by(workflow, statuses)
    # Children start school before adults start SFI: each adult's start waits on both.
    assert set(blocked[TaskRef("sfi_start", 1)]) == {
        TaskRef("sfi_application", 1),
        TaskRef("school_enrolment", 3),
        TaskRef("school_enrolment", 4),
    }
    statuses[TaskRef("sfi_application", 1)] = TaskStatus.DONE
    statuses[TaskRef("school_enrolment", 3)] = TaskStatus.DONE
    statuses[TaskRef("school_enrolment", 4)] = TaskStatus.NOT_APPLICABLE
    assert TaskRef("sfi_start", 1) not in blocked_by(workflow, statuses)
    # Without children nothing about school blocks SFI.
    couple = plan(workflow, family(RECEIVED, MOTHER, FATHER))
    couple_status = {t.ref: TaskStatus.OPEN for t in couple}
    couple_status[TaskRef("sfi_application", 2)] = TaskStatus.DONE
    assert TaskRef("sfi_start", 2) not in blocked_by(workflow, couple_status)
