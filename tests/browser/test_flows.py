"""Everyday work in a real browser: complete a task, act on an alert, switch language."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from reception.extensions import db
from reception.models import Household, Task, User
from reception.models.tenancy import system
from tests.browser.conftest import COORDINATOR, MANAGER, LiveServer, sign_in


def read(live_server: LiveServer, query: Any) -> Any:
    with live_server.app.app_context(), system(db.session):
        return db.session.execute(query).all()


def user_id(live_server: LiveServer, email: str) -> int:
    return read(live_server, select(User.id).where(User.email == email))[0][0]


def test_coordinator_completes_a_task(page: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect  # imported here: the module loads without Playwright

    sign_in(page, COORDINATOR)
    item = page.locator("li.checklist__item:has(form[action$='/complete'])").first
    task_id = int(item.get_attribute("id").removeprefix("task-"))
    assert read(live_server, select(Task.status).where(Task.id == task_id)) == [("open",)]

    # By keyboard, as the focus after the swap matters most there.
    item.locator("form[action$='/complete'] button[type=submit]").focus()
    page.keyboard.press("Enter")

    # htmx swaps the item in place: it now says done and offers to reopen.
    done = page.locator(f"#task-{task_id}")
    expect(done).to_have_class(re.compile(r"\bchecklist__item--done\b"))
    expect(done.locator("form[action$='/reopen']")).to_be_visible()
    # Focus stays with the task (its title), not lost to <body>; the message is put into
    # the status region that was there from the start, so screen readers announce it.
    expect(done.locator(".checklist__title")).to_be_focused()
    expect(page.locator("#flash-region[role=status] .flash--success")).to_be_visible()
    assert read(live_server, select(Task.status).where(Task.id == task_id)) == [("done",)]


def test_manager_sees_a_housing_alert_and_reassigns_without_javascript(
    browser: Any, live_server: LiveServer
) -> None:
    # The whole flow works as plain HTML forms: no script runs in this context.
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, MANAGER)
        assert page.url.endswith("/manager/")

        # The demo's household KS 2026/095 has no housing and its deadline is days away.
        housing = page.locator("#alerts-housing + ul.alert-list")
        housing.get_by_role("link", name="KS 2026/095").click()
        assert re.search(r"/households/\d+$", page.url)
        assert "KS 2026/095" in page.locator("h1").inner_text()

        page.goto("/manager/")
        page.locator(".page-header__actions a[href$='/manager/reassign']").click()
        johan = user_id(live_server, "johan.berg@bracke.example")
        amira = user_id(live_server, COORDINATOR)

        # The same person on both sides is refused, with the message beside the field.
        page.select_option("#from_user_id", str(johan))
        page.select_option("#to_user_id", str(johan))
        page.locator("form[action$='/manager/reassign'] button[type=submit]").click()
        assert page.locator(".error-summary a[href='#to_user_id']").count() == 1
        assert page.locator("#to_user_id-error").is_visible()
        assert page.locator("#to_user_id").get_attribute("aria-invalid") == "true"

        open_before = _open_work(live_server, johan)
        assert open_before != (0, 0)
        page.select_option("#to_user_id", str(amira))
        page.locator("form[action$='/manager/reassign'] button[type=submit]").click()

        assert page.url.endswith("/manager/#workload")
        assert "Johan Berg" in page.locator(".flash--success").inner_text()
        assert _open_work(live_server, johan) == (0, 0)
        johan_row = page.locator("#workload ~ .table-wrap tr", has_text="Johan Berg")
        assert johan_row.locator("td").all_inner_texts()[:3] == ["0", "0", "0"]
    finally:
        context.close()


def _open_work(live_server: LiveServer, user: int) -> tuple[int, int]:
    tasks = read(
        live_server,
        select(func.count())
        .select_from(Task)
        .where(Task.assignee_id == user, Task.status.in_(("open", "waiting"))),
    )[0][0]
    households = read(
        live_server,
        select(func.count())
        .select_from(Household)
        .where(Household.coordinator_id == user, Household.status == "open"),
    )[0][0]
    return tasks, households


def test_switch_language_and_back(page: Any, live_server: LiveServer) -> None:
    sign_in(page, COORDINATOR)
    html = page.locator("html")
    assert html.get_attribute("lang") == "sv"
    swedish_heading = page.locator("h1").inner_text()

    page.locator(".site-header button[lang='en']").click()
    page.wait_for_load_state()
    assert html.get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "My tasks"
    assert swedish_heading != "My tasks"
    page.reload()
    assert html.get_attribute("lang") == "en", "the choice is kept"

    page.locator(".site-header button[lang='sv']").click()
    page.wait_for_load_state()
    assert html.get_attribute("lang") == "sv"
    assert page.locator("h1").inner_text() == swedish_heading


def test_coordinator_reads_a_notification_and_makes_a_calendar_address(
    page: Any, live_server: LiveServer, axe: Any
) -> None:
    from playwright.sync_api import expect

    from tests.browser.test_accessibility import audit

    sign_in(page, COORDINATOR)
    header = page.locator("#header-notifications")
    before = int(header.locator(".count-pill").inner_text())
    assert before > 0  # the demo's sweep left unread notifications
    header.click()
    assert page.url.endswith("/notifications")

    # htmx marks it read in place and the header's count goes down by one.
    item = page.locator("li.notification--unread").first
    item_id = item.get_attribute("id")
    item.locator("form button[type=submit]").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#{item_id}")).not_to_have_class(re.compile(r"notification--unread"))
    expect(page.locator(f"#{item_id} h2 a")).to_be_focused()
    expect(page.locator("#flash-region[role=status] .flash--success")).to_be_visible()
    expect(page.locator("#header-notifications .count-pill")).to_have_text(str(before - 1))
    expect(page.locator(".flash--success")).to_be_visible()

    # The link leads to the task on its household page.
    link = page.locator(f"#{item_id} h2 a")
    href = link.get_attribute("href")
    link.click()
    assert page.url.endswith(href)

    # My settings: the calendar address, shown once, with the Outlook steps.
    page.locator(".site-header__user").click()
    assert page.url.endswith("/me")
    page.locator("form[action$='/me/calendar-feed'] button").click()
    page.wait_for_load_state()
    url = page.locator("#feed-url").input_value()
    assert re.search(r"/feeds/cal_[\w-]+\.ics$", url)
    assert "Från Internet" in page.locator("main").inner_text()
    assert audit(page, axe) == []
    assert page.request.get(url).status == 200
    page.locator("form[action$='/me/calendar-feed/revoke'] button").click()
    page.wait_for_load_state()
    assert page.request.get(url).status == 404
