"""Households and their members: creation, date changes, new members, listing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from reception.engine.calendar import add_months
from reception.engine.status import TaskStatus
from reception.extensions import db
from reception.models import Household, HouseholdStatus, Person, Task, User
from reception.models.tenancy import get_in_tenant
from reception.services import history, protection, protection_rules, registration, versions
from reception.services.checklist import Moved, recompute
from reception.services.errors import Conflict, FieldError, NotFound, ValidationError
from reception.services.registration import HouseholdInput, MemberInput
from reception.services.validation import Input
from reception.services.workflows import registry

HOUSING_PERIOD_MONTHS = 2  # förordning (2016:39) 10 §
OLDEST_BIRTH_DATE = date(1900, 1, 1)
MAX_MEMBERS = 30


def read_member(raw: Any, prefix: str, today: date) -> tuple[MemberInput | None, Input]:
    """Validate one member; the Input carries the errors, named with `prefix`."""
    data = Input(raw, prefix)
    if not isinstance(raw, Mapping):
        data.errors.append(
            FieldError(prefix.rstrip(".") or "member", _("Each member must be an object."))
        )
        return None, data
    given = data.text("given_name", required=True, max_length=100)
    family = data.text("family_name", required=True, max_length=100)
    birth = data.date("birth_date", required=True)
    if birth is not None and birth > today:
        data.error("birth_date", _("The birth date is in the future."))
        birth = None
    elif birth is not None and birth < OLDEST_BIRTH_DATE:
        data.error("birth_date", _("The birth date is before 1900."))
        birth = None
    number, coordination = data.identity_number("personnummer", birth)
    permit_dates = {field: _past_date(data, field, birth, today) for field in PERMIT_DATE_FIELDS}
    if data.errors or given is None or family is None or birth is None:
        return None, data
    member = MemberInput(
        given_name=given,
        family_name=family,
        birth_date=birth,
        personnummer=None if coordination else number,
        samordningsnummer=number if coordination else None,
        **permit_dates,
    )
    return member, data


# Temporary protection: when the permit and the samordningsnummer were given.
PERMIT_DATE_FIELDS = ("samordningsnummer_date", "permit_date")
HOUSING_DATE_FIELDS = ("move_in_date", "move_out_date")


def _past_date(data: Input, field: str, birth: date | None, today: date) -> date | None:
    if not data.has(field):
        return None
    value = data.date(field)
    if value is not None and value > today:
        data.error(field, _("The date is in the future."))
        return None
    if value is not None and birth is not None and value < birth:
        data.error(field, _("The date is before the birth date."))
        return None
    return value


def _housing_dates(
    data: Input, workflow_key: str | None, assignment: date | None, current: Mapping[str, Any]
) -> dict[str, date | None]:
    """Move-in and move-out of the municipality's housing, checked against each other.

    Only temporary-protection households in the municipality's housing have them: the
    compensation per day in that housing runs between the two dates.
    """
    changes: dict[str, date | None] = {}
    for field in HOUSING_DATE_FIELDS:
        if data.has(field):
            changes[field] = data.date(field)
    if not changes:
        return changes
    if workflow_key is not None and workflow_key in registry():
        variant = registry().get(workflow_key).variant
        if variant != "temporary_protection_housing":
            for field in changes:
                data.error(
                    field,
                    _("Only households with temporary protection in the municipality's housing."),
                )
            return {}
    move_in = changes.get("move_in_date", current.get("move_in_date"))
    move_out = changes.get("move_out_date", current.get("move_out_date"))
    if move_in is not None and assignment is not None and move_in < assignment:
        data.error("move_in_date", _("The date is before the assignment date."))
    if move_out is not None and move_in is None:
        data.error("move_out_date", _("A move-out needs a move-in date."))
    elif move_out is not None and move_in is not None and move_out <= move_in:
        data.error("move_out_date", _("The move-out must be after the move-in."))
    return changes


def _coordinator(data: Input, field: str) -> User | None:
    user_id = data.integer(field, minimum=1)
    if user_id is None:
        return None
    user = get_in_tenant(db.session, User, user_id)
    if user is None or not user.active:
        data.error(field, _("No such user in this municipality."))
        return None
    return user


def read_household(
    raw: Mapping[str, Any], today: date
) -> tuple[HouseholdInput | None, list[FieldError]]:
    """Validate one new household: the household to write, or every error (never both).

    Checks each field and the members among themselves; whether the reference and the
    identity numbers are free in the municipality is registration.find_clashes' part.
    """
    data = Input(raw)
    reference = data.text("reference", required=True, max_length=50)
    workflow_key = data.text("workflow", required=True, max_length=60)
    if workflow_key is not None and workflow_key not in registry():
        data.error("workflow", _("Unknown workflow: %(key)s", key=workflow_key))
        workflow_key = None
    assignment = data.date("assignment_date", required=True)
    if assignment is not None and assignment > today:
        data.error("assignment_date", _("The assignment date is in the future."))
        assignment = None
    latest = data.date("latest_reception_date")
    reception = data.date("reception_date")
    if assignment is not None:
        if reception is not None and reception < assignment:
            data.error("reception_date", _("The reception date is before the assignment date."))
        if latest is not None and latest < assignment:
            data.error(
                "latest_reception_date",
                _("The latest reception date is before the assignment date."),
            )
    coordinator = _coordinator(data, "coordinator_id")
    housing = _housing_dates(data, workflow_key, assignment, {})

    raw_members = data.data.get("members")
    members: list[tuple[int, MemberInput]] = []
    if not isinstance(raw_members, list) or not raw_members:
        data.error("members", _("A household needs at least one member."))
    elif len(raw_members) > MAX_MEMBERS:
        data.error("members", _("At most %(n)d members.", n=MAX_MEMBERS))
    else:
        for index, raw_member in enumerate(raw_members):
            member, member_input = read_member(raw_member, f"members[{index}].", today)
            data.errors += member_input.errors
            if member is not None:
                members.append((index, member))
    _check_unique_numbers(data, members)
    if data.errors:
        return None, data.errors
    assert reference and workflow_key and assignment
    definition = registry().get(workflow_key)
    return HouseholdInput(
        reference=reference,
        workflow_key=definition.key,
        workflow_version=definition.version,
        assignment_date=assignment,
        latest_reception_date=latest or add_months(assignment, HOUSING_PERIOD_MONTHS),
        reception_date=reception,
        coordinator_id=coordinator.id if coordinator else None,
        members=tuple(member for _index, member in members),
        **housing,
    ), []


def create_household(raw: Mapping[str, Any], actor: User | None, today: date) -> Household:
    """Register an assignment (or a self-settled household) and instantiate its checklist."""
    household, errors = read_household(raw, today)
    if errors:
        raise ValidationError(errors)
    assert household is not None
    for clash in registration.find_clashes([household]):
        raise Conflict(clash.message, clash.field)
    created = registration.create_many(
        [household], actor, history.in_swedish(_l("Household registered"))
    )
    db.session.commit()
    # One query for the household and its members (a selectinload would be a second).
    household_id = created.household_ids[0]
    return (
        db.session.execute(
            select(Household)
            .where(Household.id == household_id)
            .options(joinedload(Household.members))
        )
        .unique()
        .scalar_one()
    )


def flush_or_conflict(prefix: str = "") -> None:
    """Flush; a unique index that a concurrent writer won becomes a 409 naming the field.

    The checks before the flush give the clear message in the ordinary case; the database's
    unique indexes decide the race between two writers that both passed them.
    """
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        conflict = registration.integrity_conflict(exc, prefix)
        if conflict is None:
            raise
        raise conflict from exc


def _number_free(number: str | None, prefix: str = "", person_id: int | None = None) -> None:
    """A personnummer or samordningsnummer belongs to one person of the municipality."""
    if number is None:
        return
    query = select(Person.id).where(
        (Person.personnummer == number) | (Person.samordningsnummer == number)
    )
    if person_id is not None:
        query = query.where(Person.id != person_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise Conflict(_("Another person already has this number."), f"{prefix}personnummer")


def _check_unique_numbers(data: Input, members: list[tuple[int, MemberInput]]) -> None:
    seen: set[str] = set()
    for index, member in members:
        number = member.number
        if number is None:
            continue
        if number in seen:
            data.error(f"members[{index}].personnummer", _("The same number is given twice."))
        seen.add(number)


def get_household(household_id: int) -> Household:
    household = db.session.scalar(
        select(Household)
        .where(Household.id == household_id)
        .options(selectinload(Household.members))
    )
    if household is None:
        raise NotFound(_("No such household."), "id")
    return household


def get_person(person_id: int) -> Person:
    person = get_in_tenant(db.session, Person, person_id)
    if person is None:
        raise NotFound(_("No such person."), "id")
    return person


def list_households(
    *,
    status: str | None = None,
    workflow: str | None = None,
    search: str | None = None,
    coordinator_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Household], int]:
    """One page of households, newest assignment first; `search` matches reference or names."""
    query = select(Household)
    if status:
        query = query.where(Household.status == status)
    if workflow:
        query = query.where(Household.workflow_key == workflow)
    if coordinator_id is not None:
        query = query.where(Household.coordinator_id == coordinator_id)
    if search:
        pattern = f"%{_escape_like(search.strip().lower())}%"
        named = select(Person.household_id).where(
            func.lower(Person.given_name + " " + Person.family_name).like(pattern, escape="\\")
        )
        query = query.where(
            func.lower(Household.reference).like(pattern, escape="\\") | Household.id.in_(named)
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = db.session.scalars(
        query.options(selectinload(Household.members), selectinload(Household.coordinator))
        .order_by(Household.assignment_date.desc(), Household.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(items), total


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class TaskSummary:
    overdue: int
    next_due: date | None


def task_summaries(household_ids: list[int], today: date) -> dict[int, TaskSummary]:
    """Overdue count and next due date of the open tasks of each household, in one query."""
    if not household_ids:
        return {}
    rows = db.session.execute(
        select(
            Task.household_id,
            func.count(Task.id).filter(Task.due_date < today),
            func.min(Task.due_date).filter(Task.due_date >= today),
        )
        .where(Task.household_id.in_(household_ids), Task.status == TaskStatus.OPEN.value)
        .group_by(Task.household_id)
    )
    return {hid: TaskSummary(overdue or 0, next_due) for hid, overdue, next_due in rows}


def update_household(
    household_id: int, raw: Mapping[str, Any], actor: User | None, today: date
) -> list[Moved]:
    """Change a household's dates or coordinator; open tasks follow the new dates."""
    household = versions.lock_household(household_id)
    data = Input(raw)
    version = versions.expected(data)
    changes: dict[str, Any] = {}
    for field in ("reception_date", "latest_reception_date"):
        if data.has(field):
            changes[field] = data.date(field, required=field == "latest_reception_date")
    if data.has("coordinator_id"):
        coordinator = _coordinator(data, "coordinator_id")
        changes["coordinator_id"] = coordinator.id if coordinator else None
    for field, value in changes.items():
        if field.endswith("_date") and value is not None and value < household.assignment_date:
            data.error(field, _("The date is before the assignment date."))
    changes.update(
        _housing_dates(
            data,
            household.workflow_key,
            household.assignment_date,
            {f: getattr(household, f) for f in HOUSING_DATE_FIELDS},
        )
    )
    editable = {
        "reception_date",
        "latest_reception_date",
        "coordinator_id",
        versions.FIELD,
        *HOUSING_DATE_FIELDS,
    }
    unknown = set(data.data) - editable
    for field in sorted(unknown):
        data.error(field, _("This field cannot be changed here."))
    data.raise_if_errors()
    versions.check(household, version)
    if household.status != HouseholdStatus.OPEN.value:
        raise Conflict(_("The household is closed."), "status")

    reasons = [
        _reason(field)
        for field, value in changes.items()
        if history.change(household, field, value, _reason(field), actor)
    ]
    if not reasons:
        return []
    moved = recompute(household, "; ".join(reasons), actor)
    db.session.commit()
    return moved


def _reason(field: str) -> str:
    labels = {
        "reception_date": _l("Reception date changed"),
        "latest_reception_date": _l("Latest reception date changed"),
        "coordinator_id": _l("Coordinator changed"),
        "move_in_date": _l("Move-in date recorded"),
        "move_out_date": _l("Move-out date recorded"),
        "samordningsnummer_date": _l("Samordningsnummer date recorded"),
        "permit_date": _l("Permit date recorded"),
        "registration_date": _l("Registration (folkbokföring) recorded"),
        "personnummer": _l("Personnummer recorded"),
        "personnummer_date": _l("Personnummer date recorded"),
        "samordningsnummer": _l("Samordningsnummer recorded"),
        "given_name": _l("Name corrected"),
        "family_name": _l("Name corrected"),
        "birth_date": _l("Birth date corrected"),
    }
    return history.in_swedish(labels.get(field, field))


def update_person(
    person_id: int, raw: Mapping[str, Any], actor: User | None, today: date
) -> list[Moved]:
    """Record a member's registration, personnummer and its date; tasks follow."""
    person: Person = versions.lock_household_of(Person, person_id, _("No such person."))
    household = person.household
    data = Input(raw)
    version = versions.expected(data)
    allowed = {
        versions.FIELD,
        "registration_date",
        "personnummer",
        "personnummer_date",
        "given_name",
        "family_name",
        "birth_date",
        *PERMIT_DATE_FIELDS,
    }
    for field in sorted(set(data.data) - allowed):
        data.error(field, _("This field cannot be changed here."))
    changes: dict[str, Any] = {}
    for field in ("given_name", "family_name"):
        if data.has(field):
            changes[field] = data.text(field, required=True, max_length=100)
    birth = person.birth_date
    if data.has("birth_date"):
        birth = data.date("birth_date", required=True) or birth
        if birth > today:
            data.error("birth_date", _("The birth date is in the future."))
        changes["birth_date"] = birth
    for field in ("registration_date", "personnummer_date"):
        if data.has(field):
            value = data.date(field)
            if value is not None and value > today:
                data.error(field, _("The date is in the future."))
            elif value is not None and value < birth:
                data.error(field, _("The date is before the birth date."))
            changes[field] = value
    for field in PERMIT_DATE_FIELDS:
        if data.has(field):
            changes[field] = _past_date(data, field, birth, today)
    if data.has("personnummer"):
        number, coordination = data.identity_number("personnummer", birth)
        if coordination:
            changes["samordningsnummer"] = number
        else:
            changes["personnummer"] = number
            if number and "personnummer_date" not in changes and person.personnummer_date is None:
                # Skatteverket gives the personnummer with the registration decision.
                changes["personnummer_date"] = (
                    changes.get("registration_date") or person.registration_date or today
                )
    data.raise_if_errors()
    versions.check(person, version)
    if household.status != HouseholdStatus.OPEN.value:
        raise Conflict(_("The household is closed."), "status")
    temporary_protection = protection_rules.is_temporary_protection(household)
    registers = (
        temporary_protection
        and person.registration_date is None
        and changes.get("registration_date") is not None
    )
    if (
        temporary_protection
        and person.registration_date is not None
        and changes.get("registration_date", person.registration_date) != person.registration_date
    ):
        raise Conflict(
            _("The person has moved on to a settlement case; correct the date there."),
            "registration_date",
        )
    _number_free(changes.get("personnummer") or changes.get("samordningsnummer"), "", person.id)

    reasons = []
    for field, value in changes.items():
        reason = f"{_reason(field)}: {person.full_name}"
        if history.change(person, field, value, reason, actor):
            reasons.append(reason)
    if not reasons:
        return []
    flush_or_conflict()
    moved = recompute(household, "; ".join(reasons), actor)
    if registers:
        protection.continue_after_registration(household, person, actor)
    db.session.commit()
    return moved


def add_member(
    household_id: int, raw: Mapping[str, Any], actor: User | None, today: date
) -> Person:
    """A member who joins later (a newborn, family reunification) gets their tasks."""
    household = versions.lock_household(household_id)
    member, data = read_member(raw, "", today)
    version = versions.expected(data)
    data.raise_if_errors()
    assert member is not None
    versions.check(household, version)
    if household.status != HouseholdStatus.OPEN.value:
        raise Conflict(_("The household is closed."), "status")
    _number_free(member.personnummer or member.samordningsnummer)
    person = registration.new_person(member)
    household.members.append(person)
    flush_or_conflict()
    history.record(
        household_id=household.id,
        entity="person",
        entity_id=person.id,
        field="member",
        old=None,
        new=person.full_name,
        reason=history.in_swedish(_l("Member added")),
        actor=actor,
    )
    recompute(
        household, history.in_swedish(_l("Member added: %(name)s", name=person.full_name)), actor
    )
    db.session.commit()
    return person


def close_household(
    household_id: int, raw: Mapping[str, Any], actor: User | None, today: date
) -> Household:
    """Close a case (moved away, reception completed, assignment withdrawn …) with a reason."""
    household = versions.lock_household(household_id)
    data = Input(raw)
    version = versions.expected(data)
    reason = data.text("reason", required=True, max_length=200)
    closed_on = data.date("closed_on") or today
    if closed_on > today:
        data.error("closed_on", _("The date is in the future."))
    elif closed_on < household.assignment_date:
        data.error("closed_on", _("The date is before the assignment date."))
    data.raise_if_errors()
    versions.check(household, version)
    if household.status == HouseholdStatus.CLOSED.value:
        raise Conflict(_("The household is closed."), "status")
    why = history.in_swedish(_l("Household closed"))
    history.change(household, "status", HouseholdStatus.CLOSED.value, why, actor)
    history.change(household, "closed_reason", reason, why, actor)
    history.change(household, "closed_on", closed_on, why, actor)
    db.session.commit()
    return household


def reopen_household(
    household_id: int, actor: User | None, raw: Mapping[str, Any] | None = None
) -> Household:
    household = versions.lock_household(household_id)
    data = Input(raw)
    version = versions.expected(data)
    data.raise_if_errors()
    versions.check(household, version)
    if household.status != HouseholdStatus.CLOSED.value:
        raise Conflict(_("The household is open."), "status")
    why = history.in_swedish(_l("Household reopened"))
    history.change(household, "status", HouseholdStatus.OPEN.value, why, actor)
    history.change(household, "closed_reason", None, why, actor)
    history.change(household, "closed_on", None, why, actor)
    recompute(household, why, actor)
    db.session.commit()
    return household
