"""A printable summary for the family: their next steps and dates, in their language.

Written for the household, not the coordinator: only the steps the family takes part in
are shown (see STEPS), in plain words, across every open case linked to theirs (a family
under temporary protection whose members are being registered has two). Ukrainian,
Swedish and English; the strings are in the Babel catalogues (translations/uk holds only
the strings of this page) and dates are written the way the chosen language writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from reception.engine import protection as rules
from reception.engine.status import TaskStatus
from reception.extensions import db
from reception.models import Household, HouseholdStatus, Municipality, Task
from reception.services import protection, protection_rules

LANGUAGES = ("uk", "sv", "en")

# The steps a family takes part in, by task key, as the family would say them. Per-person
# steps name the person. Steps not listed (buying food, checks with finance, follow-ups
# inside the municipality) are the coordinator's own and are left out.
STEPS = {
    "housing": _l("The municipality arranges your home"),
    "move_in": _l("You move into your home"),
    "permit_details": _l("%(name)s: show your residence permit and samordningsnummer"),
    "local_orientation": _l("A walk with us to shops, the health centre, school and pharmacy"),
    "social_services_meeting": _l("Meeting with social services about financial support"),
    "skatteverket_visit": _l("Visit to the Swedish Tax Agency (Skatteverket) to register"),
    "personnummer_follow_up": _l("%(name)s: decision on registration and personal number"),
    "school_enrolment": _l("%(name)s: starts preschool or school"),
    "sfi_application": _l("%(name)s: apply for Swedish lessons (SFI)"),
    "sfi_start": _l("%(name)s: Swedish lessons (SFI) start"),
    "registration_application": _l(
        "%(name)s: apply for population registration (folkbokföring) at the Swedish Tax Agency"
    ),
    "protection_end_alert": _l("Meeting about what happens when temporary protection ends"),
    "id_card_application": _l("%(name)s: apply for an ID card at the Swedish Tax Agency"),
    "id_card_collection": _l("%(name)s: collect the ID card"),
    "bank_account": _l("%(name)s: open a bank account"),
    "housing_allowance_application": _l("Apply for housing allowance (bostadsbidrag)"),
    "child_allowance_application": _l("Apply for child allowance (barnbidrag)"),
    "arbetsformedlingen_registration": _l(
        "%(name)s: register with the Swedish Public Employment Service (Arbetsförmedlingen)"
    ),
    "establishment_allowance_application": _l("%(name)s: apply for establishment allowance"),
    "civic_orientation_offer": _l("%(name)s: course on Swedish society (samhällsorientering)"),
}


@dataclass(frozen=True)
class Line:
    on: date | None  # None = not set yet
    when: str | None  # the date as the language writes it
    text: str


def _when(value: date | None, lang: str) -> str | None:
    return format_date(value, format="long", locale=lang) if value else None


def _line(on: date | None, text: object, lang: str) -> Line:
    return Line(on, _when(on, lang), str(text))


def _steps(households: list[Household], lang: str) -> list[Line]:
    ids = [h.id for h in households if h.status == HouseholdStatus.OPEN.value]
    if not ids:
        return []
    tasks = db.session.scalars(
        select(Task).where(
            Task.household_id.in_(ids),
            Task.status.in_((TaskStatus.OPEN.value, TaskStatus.WAITING.value)),
            Task.key.in_(STEPS),
        )
    ).all()
    ordered = sorted(tasks, key=lambda t: (t.due_date is None, t.due_date or date.min, t.id))
    lines: list[Line] = []
    seen: set[tuple[str, date | None]] = set()
    for task in ordered:
        name = task.person.given_name if task.person else ""
        line = _line(task.due_date, str(STEPS[task.key]) % {"name": name}, lang)
        if (line.text, line.on) in seen:
            continue  # the same step in two linked cases
        seen.add((line.text, line.on))
        lines.append(line)
    return lines


def _dates(households: list[Household], lang: str) -> list[Line]:
    lines: list[Line] = []
    protected = False
    for household in households:
        temporary = protection_rules.is_temporary_protection(household)
        if temporary and household.move_in_date:
            lines.append(_line(household.move_in_date, _l("You moved into your home"), lang))
        for person in household.members:
            if not temporary:
                continue
            if person.registration_date is not None:
                text = _l("%(name)s: registered (folkbokförd)", name=person.given_name)
                lines.append(_line(person.registration_date, text, lang))
                continue
            protected = protected or household.status == HouseholdStatus.OPEN.value
            eligible = protection_rules.registration_eligible_date(person)
            text = _l(
                "%(name)s: first day to apply for population registration (folkbokföring)",
                name=person.given_name,
            )
            lines.append(_line(eligible, text, lang))
    if protected:
        last_day = rules.last_protected_day(protection_rules.protection_end())
        text = _l("Last day of temporary protection")
        lines.append(_line(last_day, text, lang))
    return sorted(lines, key=lambda line: (line.on is None, line.on or date.min))


def render(
    household_id: int, lang: str, today: date, back: tuple[str, str, str] | None = None
) -> str:
    """The summary page as HTML, in ``lang`` (one of LANGUAGES).

    ``back`` is (url, text, language) of a link back for the staff member who opened the
    page, in their own language; it is not printed.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    linked = protection.chain(household_id)
    current = next(h for h in linked.households if h.id == household_id)
    municipality = db.session.get(Municipality, current.municipality_id)
    people = {}
    for household in linked.households:
        for person in household.members:
            people.setdefault(person.previous_person_id or person.id, person.full_name)
    with force_locale(lang):
        return render_template(
            "summary/household.html",
            lang=lang,
            municipality=municipality.name if municipality else "",
            reference=current.reference,
            people=list(people.values()),
            dates=_dates(linked.households, lang),
            steps=_steps(linked.households, lang),
            coordinator=current.coordinator.name if current.coordinator else None,
            printed=_when(today, lang),
            back=back,
        )
