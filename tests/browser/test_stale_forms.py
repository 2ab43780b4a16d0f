"""Two people on one household in a real browser: the older page's save is stopped and says why.

Amira opens a household page; meanwhile Karin gives the household to Johan and moves the
latest reception date (through the service, as the API would). Amira types a reception
date and saves: the page comes back saying what Karin changed, with Amira's date still in
the field and Karin's values in the others; saving again keeps both.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from reception.extensions import db
from reception.models import Household, User
from reception.models.tenancy import system, tenant
from reception.services import households
from reception.timeutil import today
from tests.browser.conftest import COORDINATOR, MANAGER, LiveServer, sign_in, switch_language

# One household per language, both Amira's in the demo data.
CASES = [
    (
        "sv",
        "KS 2026/101",
        "Karin Holm ändrade Senaste mottagningsdatum (nu: {latest}) och Samordnare "
        "(nu: Johan Berg) efter att du öppnade sidan. Dina uppgifter finns kvar nedan: "
        "kontrollera och spara igen.",
    ),
    (
        "en",
        "KS 2026/095",
        "Karin Holm changed Latest reception date (now: {latest}) and Coordinator "
        "(now: Johan Berg) after you opened the page. Your input is kept below: check it "
        "and save again.",
    ),
]


def _household(live_server: LiveServer, reference: str) -> Household:
    with live_server.app.app_context(), system(db.session):
        household = db.session.scalar(select(Household).where(Household.reference == reference))
        db.session.expunge(household)
        return household


def _user_id(live_server: LiveServer, email: str) -> int:
    with live_server.app.app_context(), system(db.session):
        return db.session.scalar(select(User.id).where(User.email == email))


def _karin_changes(live_server: LiveServer, household: Household, johan: int) -> str:
    """Karin moves the latest reception date and gives the household to Johan."""
    latest = household.latest_reception_date + timedelta(days=9)
    with live_server.app.app_context(), tenant(db.session, household.municipality_id):
        karin = db.session.scalar(select(User).where(User.email == MANAGER))
        households.update_household(
            household.id,
            {"coordinator_id": johan, "latest_reception_date": latest.isoformat()},
            karin,
            today(),
        )
    return latest.isoformat()


@pytest.mark.parametrize(("language", "reference", "message"), CASES)
def test_a_stale_dates_form_says_who_changed_what_and_keeps_the_date(
    page: Any, axe: Any, live_server: LiveServer, language: str, reference: str, message: str
) -> None:
    from playwright.sync_api import expect

    household = _household(live_server, reference)
    johan = _user_id(live_server, "johan.berg@bracke.example")
    sign_in(page, COORDINATOR)
    page.goto(f"/households/{household.id}")
    switch_language(page, language)
    page.locator("details:has(#household-form) > summary").click()

    latest = _karin_changes(live_server, household, johan)
    typed = (household.assignment_date + timedelta(days=20)).isoformat()
    assert typed != (household.reception_date and household.reception_date.isoformat())
    page.fill("#household-reception_date", typed)
    page.locator("#household-form button[type=submit]").click()
    page.wait_for_load_state()

    alert = page.locator(".error-summary[role=alert]")
    expect(alert).to_contain_text(message.format(latest=latest))
    expect(alert.locator("a[href='#household-form']")).to_be_visible()
    expect(page.locator("#household-reception_date")).to_have_value(typed)
    expect(page.locator("#household-latest_reception_date")).to_have_value(latest)
    expect(page.locator("#household-coordinator_id")).to_have_value(str(johan))
    stored = _household(live_server, reference)
    assert stored.reception_date == household.reception_date  # nothing of Amira's saved
    violations = axe.run(page).response["violations"]
    assert not violations, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]

    page.locator("#household-form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".flash--success")).to_be_visible()
    expect(page.locator(".error-summary")).to_have_count(0)
    stored = _household(live_server, reference)
    assert stored.reception_date.isoformat() == typed
    assert (stored.coordinator_id, stored.latest_reception_date.isoformat()) == (johan, latest)


def test_a_stale_task_action_is_swapped_in_with_the_message(
    page: Any, live_server: LiveServer
) -> None:
    """htmx swaps the 409 in: the task as it is now, the message focused inside it."""
    from playwright.sync_api import expect

    from reception.models import Task
    from reception.services import tasks as task_service

    household = _household(live_server, "KS 2026/101")
    sign_in(page, COORDINATOR)
    page.goto(f"/households/{household.id}")
    switch_language(page, "sv")
    item = page.locator("li.checklist__item:has(form[action$='/complete'])").first
    task_id = int(item.get_attribute("id").removeprefix("task-"))
    with live_server.app.app_context(), tenant(db.session, household.municipality_id):
        karin = db.session.scalar(select(User).where(User.email == MANAGER))
        task_service.update(task_id, {"note": "Tolken är bokad"}, karin)

    done = page.locator(f"#task-{task_id}")
    done.locator("form[action$='/complete'] button[type=submit]").click()
    conflict = page.locator(f"#task-{task_id}-conflict")
    expect(conflict).to_contain_text(
        "Karin Holm ändrade Anteckning (nu: Tolken är bokad) efter att du öppnade sidan."
    )
    expect(conflict).to_be_focused()
    expect(page.locator("#flash-region[role=status] .flash--error")).to_be_visible()

    done.locator("form[action$='/complete'] button[type=submit]").click()
    expect(page.locator(f"#task-{task_id} form[action$='/reopen']")).to_be_visible()
    with live_server.app.app_context(), system(db.session):
        stored = db.session.get(Task, task_id)
        assert (stored.status, stored.note) == ("done", "Tolken är bokad")
