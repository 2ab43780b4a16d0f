"""Screenshots of the main pages in both languages, for people to look at.

Skipped unless MOTTAGNING_SCREENSHOTS names a directory; nothing is committed:

    MOTTAGNING_SCREENSHOTS=/tmp/shots python3 dev.py test tests/browser/test_screenshots.py
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import COORDINATOR, MANAGER, LiveServer, sign_in, switch_language

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
    page.locator("li.checklist__item a[href*='/households/']").first.click()
    page.wait_for_load_state()
    page.screenshot(path=directory / f"household-{language}.png", full_page=True)
    page.context.clear_cookies()

    sign_in(page, MANAGER)
    switch_language(page, language)
    page.screenshot(path=directory / f"manager-dashboard-{language}.png", full_page=True)
    page.goto("/manager/reassign")
    page.screenshot(path=directory / f"manager-reassign-{language}.png", full_page=True)
