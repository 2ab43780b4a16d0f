"""Hand-made households and tasks for service tests, written straight to the tables."""

from __future__ import annotations

from datetime import date, timedelta

from reception.extensions import db
from reception.models import Household, Municipality, Person, Task, User
from reception.models.tenancy import tenant

TODAY = date(2026, 5, 20)


class Maker:
    """Writes households, members and tasks of one municipality with the given states."""

    def __init__(self, municipality: Municipality) -> None:
        self.municipality = municipality
        self.count = 0

    def household(
        self,
        *,
        latest: date = TODAY + timedelta(days=30),
        reception: date | None = None,
        coordinator: User | None = None,
        status: str = "open",
        workflow: str = "settlement-reception-centre",
    ) -> Household:
        self.count += 1
        with tenant(db.session, self.municipality.id):
            household = Household(
                municipality_id=self.municipality.id,
                reference=f"KS 2026/{self.count:03d}",
                workflow_key=workflow,
                workflow_version=1,
                assignment_date=latest - timedelta(days=61),
                latest_reception_date=latest,
                reception_date=reception,
                coordinator_id=coordinator.id if coordinator else None,
                status=status,
            )
            db.session.add(household)
            db.session.commit()
        return household

    def person(
        self, household: Household, given: str, *, personnummer: str | None = None
    ) -> Person:
        with tenant(db.session, self.municipality.id):
            person = Person(
                municipality_id=self.municipality.id,
                household_id=household.id,
                given_name=given,
                family_name="Testsson",
                birth_date=date(1990, 1, 1),
                personnummer=personnummer,
            )
            db.session.add(person)
            db.session.commit()
        return person

    def task(
        self,
        household: Household,
        key: str,
        *,
        due: date | None,
        status: str = "open",
        completed_on: date | None = None,
        person: Person | None = None,
        assignee: User | None = None,
    ) -> Task:
        with tenant(db.session, self.municipality.id):
            task = Task(
                municipality_id=self.municipality.id,
                household_id=household.id,
                person_id=person.id if person else None,
                key=key,
                title_sv=f"{key} (sv)",
                title_en=f"{key} (en)",
                due_date=due,
                status=status,
                completed_on=completed_on,
                assignee_id=assignee.id if assignee else None,
            )
            db.session.add(task)
            db.session.commit()
        return task
