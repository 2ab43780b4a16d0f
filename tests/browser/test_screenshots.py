"""Screenshots of the main pages in both languages, for people to look at.

Skipped unless MOTTAGNING_SCREENSHOTS names a directory; nothing is committed:

    MOTTAGNING_SCREENSHOTS=/tmp/shots python3 dev.py test tests/browser/test_screenshots.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import (
    COORDINATOR,
    FINANCE,
    MANAGER,
    LiveServer,
    sign_in,
    switch_language,
)
from tests.browser.test_accessibility import open_household

TARGET = os.environ.get("MOTTAGNING_SCREENSHOTS")

pytestmark = pytest.mark.skipif(
    not TARGET, reason="set MOTTAGNING_SCREENSHOTS=<directory> to take screenshots"
)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_screenshots(page: Any, live_server: LiveServer, language: str) -> None:
    directory = Path(str(TARGET))
    directory.mkdir(parents=True, exist_ok=True)

    sign_in(page, COORDINATOR)
    switch_language(page, language)
    page.screenshot(path=directory / f"coordinator-home-{language}.png", full_page=True)
    # The household the coordinator's list starts with: the most urgent work.
    hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.href)")
    page.goto(next(h for h in hrefs if re.search(r"/households/\d+$", h)))
    page.screenshot(path=directory / f"household-{language}.png", full_page=True)
    page.screenshot(path=directory / f"household-top-{language}.png")  # what the eye meets first
    # Temporary protection: a family in the municipality's housing, and a registered person's
    # case with its continuation.
    open_household(page, "UA 2026/003")
    page.screenshot(path=directory / f"household-tp-{language}.png", full_page=True)
    open_household(page, "UA 2026/005")
    page.screenshot(path=directory / f"household-tp-linked-{language}.png", full_page=True)
    if language == "sv":
        open_household(page, "UA 2026/003")
        page.locator(".summary-links a[lang='uk']").click()
        page.wait_for_load_state()
        page.screenshot(path=directory / "summary-uk.png", full_page=True)
        page.emulate_media(media="print")
        page.screenshot(path=directory / "summary-uk-print.png", full_page=True)
        page.emulate_media(media="screen")
    page.goto("/notifications")
    page.screenshot(path=directory / f"notifications-{language}.png", full_page=True)
    page.goto("/me")
    page.screenshot(path=directory / f"settings-{language}.png", full_page=True)
    page.locator("form[action$='/me/calendar-feed'] button").click()
    page.wait_for_load_state()
    page.screenshot(path=directory / f"settings-feed-{language}.png", full_page=True)
    page.context.clear_cookies()

    sign_in(page, MANAGER)
    switch_language(page, language)
    page.screenshot(path=directory / f"manager-dashboard-{language}.png", full_page=True)
    page.goto("/manager/reassign")
    page.screenshot(path=directory / f"manager-reassign-{language}.png", full_page=True)
    page.goto("/manager/quotas")
    page.screenshot(path=directory / f"manager-quotas-{language}.png", full_page=True)
    page.goto("/manager/protection-end")
    page.screenshot(path=directory / f"manager-protection-end-{language}.png", full_page=True)
    page.context.clear_cookies()

    # Finance: the forecast is the start page; a household's schedule, the reconciliation.
    sign_in(page, FINANCE)
    switch_language(page, language)
    page.screenshot(path=directory / f"finance-forecast-{language}.png", full_page=True)
    page.goto("/finance/reconciliation")
    page.screenshot(path=directory / f"finance-reconciliation-{language}.png", full_page=True)
    page.screenshot(path=directory / f"finance-reconciliation-top-{language}.png")
    page.goto("/finance/reconciliation?status=partly_paid")
    page.screenshot(path=directory / f"finance-reconciliation-short-{language}.png", full_page=True)
    hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.href)")
    page.goto(next(h for h in hrefs if re.search(r"/finance/households/\d+$", h)))
    page.screenshot(path=directory / f"finance-household-{language}.png", full_page=True)
    page.screenshot(path=directory / f"finance-household-top-{language}.png")
    page.goto("/finance/payments")
    page.screenshot(path=directory / f"finance-payments-{language}.png", full_page=True)
    page.goto("/finance/imports")
    page.screenshot(path=directory / f"finance-imports-{language}.png", full_page=True)
    page.goto("/finance/payments/new")
    page.screenshot(path=directory / f"finance-payment-form-{language}.png", full_page=True)
